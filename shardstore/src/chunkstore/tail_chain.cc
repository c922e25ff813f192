#include "chunkstore/tail_chain.h"

#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "hooks/coverage_site.h"
#include "hooks/seeded_bug_site.h"
#include "util/coding.h"

namespace shardstore {
namespace {

SS_COVERAGE_POINT(kChainFollowedPastPointer,
                  "recovery followed a data extent's chain past its persisted write pointer");
SS_COVERAGE_POINT(kChainStoppedAtForeignFrame,
                  "recovery stopped at a whole frame that does not continue the chain");
SS_COVERAGE_POINT(kChainFoundLastFrameByWalking,
                  "the trailer before a persisted write pointer was damaged; the chain resumed "
                  "from the header a walk of the extent found");

// The UUID in the trailer of the frame that ends at `write_pointer`, if its magic is whole.
StatusOr<std::optional<Uuid>> TrailerUuid(Disk* disk, uint32_t extent, uint32_t write_pointer,
                                          Bytes& page) {
  SS_RETURN_IF_ERROR(disk->Read(extent, write_pointer - kPageBytes, page));
  const uint8_t* trailer = page.data() + kPageBytes - kChunkTrailerBytes;
  if (coding::Get64(trailer + 16) != kChunkMagic) return std::optional<Uuid>();
  Uuid uuid;
  std::memcpy(uuid.data(), trailer, uuid.size());
  return std::optional<Uuid>(uuid);
}

// The UUID in the (checksummed) header of the frame that ends at `write_pointer`, found by
// walking the extent's headers from its start as ChunkStore::Scan steps: for when the trailer
// is damaged, since the trailer is covered by no checksum.
StatusOr<std::optional<Uuid>> HeaderUuid(Disk* disk, uint32_t extent, uint32_t write_pointer,
                                         Bytes& page) {
  uint32_t offset = 0;
  while (offset < write_pointer) {
    SS_RETURN_IF_ERROR(disk->Read(extent, offset, page));
    const StatusOr<ChunkHeader> header = DecodeChunkHeader(page);
    if (!header.ok() || uint64_t{offset} + header->frame_bytes() > write_pointer) {
      offset += kPageBytes;
      continue;
    }
    offset += header->frame_bytes();
    if (offset == write_pointer) return std::optional<Uuid>(header->uuid);
  }
  return std::optional<Uuid>();
}

}  // namespace

uint32_t ChainLink(const Uuid& previous) { return coding::Get32(previous.data()); }

StatusOr<ChainEnd> FollowChain(Disk* disk, uint32_t extent, uint32_t write_pointer) {
  const uint32_t extent_bytes = disk->geometry().extent_bytes;
  SS_ASSERT(write_pointer > 0 && write_pointer % kPageBytes == 0 && write_pointer <= extent_bytes);
  const std::string where = "following extent " + std::to_string(extent) + "'s chain";
  ChainEnd chain;
  chain.end = write_pointer;
  Bytes page(kPageBytes);
  StatusOr<std::optional<Uuid>> last = TrailerUuid(disk, extent, write_pointer, page);
  SS_RETURN_IF_ERROR(last.status().WithContext(where));
  bool walked = false;
  // Looks up the UUID the last frame's header holds, and takes it where the trailer's differs.
  auto walk = [&]() -> Status {
    walked = true;
    StatusOr<std::optional<Uuid>> found = HeaderUuid(disk, extent, write_pointer, page);
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
  std::unique_ptr<uint8_t[]> frame;
  uint32_t frame_capacity = 0;
  while (uint64_t{chain.end} + kPageBytes <= extent_bytes) {
    SS_RETURN_IF_ERROR(disk->Read(extent, chain.end, page).WithContext(where));
    const StatusOr<ChunkHeader> header = DecodeChunkHeader(page);
    if (!header.ok()) break;
    const uint32_t frame_bytes = header->frame_bytes();
    const uint64_t frame_end = uint64_t{chain.end} + frame_bytes;
    if (SS_SEEDED_BUG(kChainDropsFrameFillingExtent) ? frame_end >= extent_bytes
                                                     : frame_end > extent_bytes) {
      break;
    }
    if (header->link != chain.next_link && !walked && chain.end == write_pointer) {
      // The trailer below the pointer may be damaged (no checksum covers it): ask the header.
      SS_RETURN_IF_ERROR(walk());
      chain.next_link = ChainLink(**last);
      chain.link_at_pointer = chain.next_link;
    }
    if (header->link != chain.next_link && !SS_SEEDED_BUG(kTailChainIgnoresLinks)) {
      SS_COVER(kChainStoppedAtForeignFrame);
      break;
    }
    if (frame_bytes > frame_capacity) {
      frame = std::make_unique_for_overwrite<uint8_t[]>(frame_bytes);
      frame_capacity = frame_bytes;
    }
    const MutableByteView bytes(frame.get(), frame_bytes);
    SS_RETURN_IF_ERROR(disk->Read(extent, chain.end, bytes).WithContext(where));
    if (!DecodeChunk(bytes).ok()) break;  // torn or stale inside: the chain ends before it
    SS_COVER(kChainFollowedPastPointer);
    chain.end += frame_bytes;
    chain.next_link = ChainLink(header->uuid);
  }
  return chain;
}

}  // namespace shardstore
