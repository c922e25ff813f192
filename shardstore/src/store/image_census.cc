#include "store/image_census.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "chunkstore/tail_chain.h"
#include "shardstore/limits.h"
#include "util/coding.h"

namespace shardstore {
namespace {

// Reads one extent below its write pointer through a window, as ChunkStore::Scan does: in the
// whole pages the frames lie in.
class ExtentReader {
 public:
  ExtentReader(Disk* disk, uint32_t extent, uint32_t write_pointer)
      : disk_(disk),
        extent_(extent),
        write_pointer_(write_pointer),
        pages_end_(static_cast<uint32_t>(coding::RoundUp(write_pointer, kPageBytes))) {}

  // [offset, offset + bytes), read from the disk unless the window already holds it.
  // REQUIRES: offset + bytes <= write_pointer.
  StatusOr<ByteView> Fetch(uint32_t offset, uint32_t bytes) {
    SS_ASSERT(uint64_t{offset} + bytes <= write_pointer_);
    if (offset < window_at_ || uint64_t{offset} + bytes > uint64_t{window_at_} + window_.size()) {
      const auto at = static_cast<uint32_t>(coding::RoundDown(offset, kPageBytes));
      const uint64_t end =
          std::max<uint64_t>(coding::RoundUp(uint64_t{offset} + bytes, kPageBytes),
                             std::min<uint64_t>(uint64_t{at} + kScanWindowBytes, pages_end_));
      window_.resize(end - at);
      window_at_ = at;
      if (Status read = disk_->Read(extent_, at, window_); !read.ok()) {
        window_.clear();
        return read;
      }
    }
    return ByteView(window_).subspan(offset - window_at_, bytes);
  }

  // Bytes from `offset` that one failed Fetch there covered: the unreadable range.
  uint32_t FailedSpan(uint32_t offset) const {
    const uint64_t at = coding::RoundDown(offset, kPageBytes);
    return static_cast<uint32_t>(std::min<uint64_t>(at + kScanWindowBytes, write_pointer_)) -
           offset;
  }

 private:
  Disk* const disk_;
  const uint32_t extent_;
  const uint32_t write_pointer_;
  const uint32_t pages_end_;
  Bytes window_;
  uint32_t window_at_ = 0;
};

bool KeepsPayload(ChunkKind kind) {
  return kind == ChunkKind::kIndexRun || kind == ChunkKind::kIndexMetadata;
}

// Walks one extent's frames into `census` (the loop of ChunkStore::Scan, plus the pages it
// steps over and the reads that fail, which a scan for damage must report).
void ScanExtent(Disk* disk, uint32_t extent, const ExtentRecord& record, ImageCensus* census) {
  ExtentReader reader(disk, extent, record.write_pointer);
  std::optional<Locator> no_frame;  // pages stepped over, not yet recorded
  auto record_damage = [&](CensusDamage::Kind kind, Locator range, Status error) {
    census->damage.push_back({kind, range, record.owner, {}, 0, {}, std::move(error)});
  };
  auto close_no_frame = [&] {
    if (!no_frame) return;
    record_damage(CensusDamage::Kind::kNoFrame, *no_frame,
                  Status::Corruption("no chunk frame starts in these pages (a damaged header, "
                                     "or bytes no chunk wrote)"));
    no_frame.reset();
  };
  uint32_t offset = 0;
  // Bounded: every pass advances `offset` by at least kFrameAlignBytes.
  while (offset < record.write_pointer) {
    StatusOr<ByteView> head =
        reader.Fetch(offset, std::min(kPageBytes, record.write_pointer - offset));
    if (!head.ok()) {
      close_no_frame();
      const uint32_t span = reader.FailedSpan(offset);
      record_damage(CensusDamage::Kind::kUnreadable, {extent, offset, span}, head.status());
      offset += span;
      continue;
    }
    StatusOr<ChunkHeader> header = DecodeChunkHeader(*head);
    if (header.ok() && uint64_t{offset} + header->frame_bytes() <= record.write_pointer) {
      close_no_frame();
      const Locator locator{extent, offset, header->frame_bytes()};
      offset += locator.length;  // the header verified: its length is trusted either way
      StatusOr<ByteView> frame = reader.Fetch(locator.offset, locator.length);
      if (!frame.ok()) {
        record_damage(CensusDamage::Kind::kUnreadable, locator, frame.status());
        continue;
      }
      StatusOr<ChunkView> chunk = DecodeChunk(*frame);
      if (!chunk.ok()) {
        census->damage.push_back({CensusDamage::Kind::kFrame, locator, record.owner, *header,
                                  RecordedBodyChecksum(*frame),
                                  std::string(ChunkKey(*frame, *header)), chunk.status()});
        continue;
      }
      CensusChunk found{locator,
                        record.owner,
                        chunk->header,
                        RecordedBodyChecksum(*frame),
                        std::string(chunk->key),
                        {}};
      if (KeepsPayload(chunk->header.kind)) {
        found.payload.assign(chunk->payload.begin(), chunk->payload.end());
      }
      census->chunks.push_back(std::move(found));
      continue;
    }
    const uint32_t next = NextFrameCandidate(offset, *head);
    // Zeros behind a frame, to the end of its page, are the padding of the write it ended: not
    // damage. Anything else where no frame starts is.
    const bool padding = offset % kPageBytes != 0 && ZerosToPageEnd(offset, *head);
    if (!padding) {
      if (no_frame && no_frame->end() == offset) {
        no_frame->length += next - offset;
      } else {
        close_no_frame();
        no_frame = Locator{extent, offset, next - offset};
      }
    }
    offset = next;
  }
  close_no_frame();
}

}  // namespace

std::string ChunkKindName(ChunkKind kind) {
  switch (kind) {
    case ChunkKind::kData:
      return "data chunk";
    case ChunkKind::kTombstone:
      return "tombstone chunk";
    case ChunkKind::kIndexRun:
      return "index run chunk";
    case ChunkKind::kIndexMetadata:
      return "index metadata chunk";
  }
  return "chunk of kind " + std::to_string(static_cast<int>(kind));
}

StatusOr<ImageCensus> TakeImageCensus(Disk* disk) {
  SS_ASSERT(disk != nullptr);
  const DiskGeometry geometry = disk->geometry();
  SS_RETURN_IF_ERROR(ValidateGeometry(geometry));
  SS_RETURN_IF_ERROR(CheckSuperblockFits(geometry));
  ImageCensus census;
  Bytes page(kPageBytes);
  SS_RETURN_IF_ERROR(disk->Read(0, 0, page).WithContext("reading the label"));
  SS_ASSIGN_OR_RETURN(census.label, DecodeLabel(page));
  if (!(census.label.geometry == geometry)) {
    return Status::InvalidArgument("the label names another geometry than the disk's");
  }
  Bytes slot_bytes(SuperblockSlotBytes(geometry.extent_count));
  for (int slot : {0, 1}) {
    Status& status = census.slot_status[static_cast<size_t>(slot)];
    status = disk->Read(0, SuperblockSlotOffset(geometry.extent_count, slot), slot_bytes);
    if (!status.ok()) continue;
    StatusOr<Superblock> decoded = DecodeSuperblock(slot_bytes, census.label);
    if (!decoded.ok()) {
      status = decoded.status();
      continue;
    }
    if (!census.superblock || decoded->sequence > census.superblock->sequence) {
      census.superblock = std::move(decoded).value();
    }
  }
  if (!census.superblock) return census;
  for (uint32_t e = 1; e < geometry.extent_count; ++e) {
    ExtentRecord record = census.superblock->extents[e];
    if (record.owner == ExtentOwner::kFree || record.write_pointer == 0) continue;
    if (record.owner == ExtentOwner::kData) {
      // As recovery does: the durable chunks go on along the extent's chain.
      const StatusOr<ChainEnd> chain = FollowChain(disk, e, record.write_pointer);
      if (chain.ok()) {
        record.write_pointer = chain->end;
      } else {
        census.damage.push_back({CensusDamage::Kind::kUnreadable,
                                 Locator{e, record.write_pointer - kPageBytes, kPageBytes},
                                 record.owner,
                                 {},
                                 0,
                                 {},
                                 chain.status()});
      }
    }
    ScanExtent(disk, e, record, &census);
    ++census.extents_scanned;
    census.bytes_scanned += record.write_pointer;
  }
  return census;
}

}  // namespace shardstore
