#include "chunkstore/tail_chain.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

#include "chunk/frame_read.h"
#include "hooks/coverage_site.h"
#include "hooks/seeded_bug_site.h"
#include "shardstore/limits.h"
#include "util/coding.h"
#include "util/page_bytes.h"

namespace shardstore {
namespace {

SS_COVERAGE_POINT(kChainFollowedPastPointer,
                  "recovery followed a data extent's chain past its persisted write pointer");
SS_COVERAGE_POINT(kChainStoppedAtForeignFrame,
                  "recovery stopped at a whole frame that does not continue the chain");
SS_COVERAGE_POINT(kChainEndPageCleared,
                  "recovery zeroed what followed a chain's end inside its last page");
SS_COVERAGE_POINT(kChainFoundLastFrameByWalking,
                  "the trailer before a persisted write pointer was damaged; the chain resumed "
                  "from the header a walk of the extent found");

// Reads [offset, offset + bytes) of one extent, reusing one buffer.
class ExtentBytes {
 public:
  ExtentBytes(Disk* disk, uint32_t extent) : disk_(disk), extent_(extent) {}

  StatusOr<ByteView> Read(uint32_t offset, uint32_t bytes) {
    return ReadSpan(disk_, extent_, offset, bytes, &pages_);
  }

 private:
  Disk* const disk_;
  const uint32_t extent_;
  Bytes pages_;
};

// The UUID in the trailer of the frame that ends in the page before `write_pointer`, if its
// magic is whole. Every write ends on a page boundary: that frame is the last of its write, and
// only zeros follow it in the page (none in a format version 1 or 2 frame, which fills it).
StatusOr<std::optional<Uuid>> TrailerUuid(ExtentBytes& disk, uint32_t write_pointer) {
  // The trailer may begin in the page before.
  const uint32_t from = write_pointer - std::min(write_pointer, 2 * kPageBytes);
  SS_ASSIGN_OR_RETURN(const ByteView bytes, disk.Read(from, write_pointer - from));
  size_t end = bytes.size();
  const size_t page_start = bytes.size() - kPageBytes;
  while (end > page_start && coding::Get64(bytes.data() + end - 8) == 0) end -= kFrameAlignBytes;
  if (end == page_start || end < kChunkTrailerBytes ||
      coding::Get64(bytes.data() + end - 8) != kChunkMagic) {
    return std::optional<Uuid>();
  }
  Uuid uuid;
  std::memcpy(uuid.data(), bytes.data() + end - kChunkTrailerBytes, uuid.size());
  return std::optional<Uuid>(uuid);
}

// The UUID in the (checksummed) header of the last frame that ends in the page before
// `write_pointer`, found by walking the extent's headers from its start as ChunkStore::Scan
// steps: for when the trailer is damaged, since the trailer is covered by no checksum.
StatusOr<std::optional<Uuid>> HeaderUuid(ExtentBytes& disk, uint32_t write_pointer) {
  std::optional<Uuid> last;
  uint32_t offset = 0;
  while (offset < write_pointer) {
    const uint32_t bytes = std::min(kPageBytes, write_pointer - offset);
    SS_ASSIGN_OR_RETURN(const ByteView head, disk.Read(offset, bytes));
    const StatusOr<ChunkHeader> header = DecodeChunkHeader(head);
    if (!header.ok() || uint64_t{offset} + header->frame_bytes() > write_pointer) {
      offset = NextFrameCandidate(offset, head);
      continue;
    }
    offset += header->frame_bytes();
    if (offset + kPageBytes > write_pointer) last = header->uuid;
  }
  return last;
}

}  // namespace

uint32_t ChainLink(const Uuid& previous) { return coding::Get32(previous.data()); }

StatusOr<ChainEnd> FollowChain(Disk* disk, uint32_t extent, uint32_t write_pointer) {
  const uint32_t extent_bytes = disk->geometry().extent_bytes;
  SS_ASSERT(write_pointer > 0 && write_pointer % kPageBytes == 0 && write_pointer <= extent_bytes);
  const std::string where = "following extent " + std::to_string(extent) + "'s chain";
  ChainEnd chain;
  chain.end = write_pointer;
  ExtentBytes bytes(disk, extent);
  StatusOr<std::optional<Uuid>> last = TrailerUuid(bytes, write_pointer);
  SS_RETURN_IF_ERROR(last.status().WithContext(where));
  bool walked = false;
  // Looks up the UUID the last frame's header holds, and takes it where the trailer's differs.
  auto walk = [&]() -> Status {
    walked = true;
    StatusOr<std::optional<Uuid>> found = HeaderUuid(bytes, write_pointer);
    SS_RETURN_IF_ERROR(found.status().WithContext(where));
    if (found->has_value() && *found != *last) {
      SS_COVER(kChainFoundLastFrameByWalking);
      last = std::move(found);
    }
    return Status::Ok();
  };
  if (!last->has_value()) SS_RETURN_IF_ERROR(walk());
  if (!last->has_value()) {
    chain.resumable = false;
    return chain;
  }
  chain.next_link = ChainLink(**last);
  chain.link_at_pointer = chain.next_link;
  // The frame that continues the chain, at `at`, if there is one.
  auto continues = [&](uint32_t at, std::optional<ChunkHeader>* found) -> Status {
    found->reset();
    if (at >= extent_bytes) return Status::Ok();
    SS_ASSIGN_OR_RETURN(const ByteView head,
                        bytes.Read(at, std::min(kPageBytes, extent_bytes - at)));
    const StatusOr<ChunkHeader> header = DecodeChunkHeader(head);
    if (!header.ok()) return Status::Ok();
    const uint64_t frame_end = uint64_t{at} + header->frame_bytes();
    if (SS_SEEDED_BUG(kChainDropsFrameFillingExtent) ? frame_end >= extent_bytes
                                                     : frame_end > extent_bytes) {
      return Status::Ok();
    }
    if (header->link != chain.next_link && !walked && at == write_pointer) {
      // The trailer below the pointer may be damaged (no checksum covers it): ask the header.
      SS_RETURN_IF_ERROR(walk());
      chain.next_link = ChainLink(**last);
      chain.link_at_pointer = chain.next_link;
    }
    if (header->link != chain.next_link && !SS_SEEDED_BUG(kTailChainIgnoresLinks)) {
      SS_COVER(kChainStoppedAtForeignFrame);
      return Status::Ok();
    }
    SS_ASSIGN_OR_RETURN(const ByteView frame, bytes.Read(at, header->frame_bytes()));
    if (DecodeChunk(frame).ok()) *found = *header;  // else torn or stale inside: the chain ends
    return Status::Ok();
  };
  for (;;) {
    // The next frame was packed right behind this one (in the same write), or it starts the
    // next write, on the next page.
    std::optional<ChunkHeader> next;
    SS_RETURN_IF_ERROR(continues(chain.end, &next).WithContext(where));
    if (!next && chain.end % kPageBytes != 0) {
      const auto page = static_cast<uint32_t>(coding::RoundUp(chain.end, kPageBytes));
      SS_RETURN_IF_ERROR(continues(page, &next).WithContext(where));
      if (next) chain.end = page;
    }
    if (!next) break;
    SS_COVER(kChainFollowedPastPointer);
    chain.end += next->frame_bytes();
    chain.next_link = ChainLink(next->uuid);
  }
  return chain;
}

Status ClearPastChainEnd(Disk* disk, uint32_t extent, uint32_t end) {
  if (end % kPageBytes == 0) return Status::Ok();
  const auto page_at = static_cast<uint32_t>(coding::RoundDown(end, kPageBytes));
  PageBytes page(kPageBytes);
  SS_RETURN_IF_ERROR(disk->Read(extent, page_at, page));
  const uint32_t at = end - page_at;
  if (std::all_of(page.begin() + at, page.end(), [](uint8_t b) { return b == 0; })) {
    return Status::Ok();
  }
  SS_COVER(kChainEndPageCleared);
  std::fill(page.begin() + at, page.end(), 0);
  return disk->Write(extent, page_at, page);
}

}  // namespace shardstore
