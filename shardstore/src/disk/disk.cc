#include "shardstore/disk.h"

#include <cstring>
#include <string>

#include "shardstore/limits.h"

namespace shardstore {

Status ValidateGeometry(const DiskGeometry& geometry) {
  if (geometry.extent_count < kExtentCountMin || geometry.extent_count > kExtentCountMax) {
    return Status::InvalidArgument("extent_count " + std::to_string(geometry.extent_count) +
                                   " is outside [" + std::to_string(kExtentCountMin) + ", " +
                                   std::to_string(kExtentCountMax) + "]");
  }
  if (geometry.extent_bytes < kExtentBytesMin || geometry.extent_bytes > kExtentBytesMax ||
      geometry.extent_bytes % kPageBytes != 0) {
    return Status::InvalidArgument("extent_bytes " + std::to_string(geometry.extent_bytes) +
                                   " must be a multiple of " + std::to_string(kPageBytes) +
                                   " in [" + std::to_string(kExtentBytesMin) + ", " +
                                   std::to_string(kExtentBytesMax) + "]");
  }
  return Status::Ok();
}

Status Disk::WriteGather(uint32_t extent, uint32_t offset, std::span<const ByteView> pieces) {
  if (pieces.size() == 1) return Write(extent, offset, pieces[0]);
  Bytes joined;
  for (ByteView piece : pieces) joined.insert(joined.end(), piece.begin(), piece.end());
  return Write(extent, offset, joined);
}

void Disk::CheckRange(uint32_t extent, uint32_t offset, size_t bytes) const {
  const DiskGeometry g = geometry();
  SS_ASSERT(extent < g.extent_count);
  SS_ASSERT(offset % kPageBytes == 0);
  SS_ASSERT(bytes > 0 && bytes % kPageBytes == 0);
  SS_ASSERT(uint64_t{offset} + bytes <= g.extent_bytes);
}

size_t Disk::CheckGather(uint32_t extent, uint32_t offset, std::span<const ByteView> pieces,
                         bool* page_aligned) const {
  size_t total = 0;
  *page_aligned = true;
  for (ByteView piece : pieces) {
    SS_ASSERT(piece.size() % kPageBytes == 0);
    total += piece.size();
    *page_aligned = *page_aligned && IsPageAligned(piece.data());
  }
  CheckRange(extent, offset, total);
  return total;
}

bool IsPageAligned(const void* p) { return reinterpret_cast<uintptr_t>(p) % kPageBytes == 0; }

void JoinPieces(std::span<const ByteView> pieces, uint8_t* out) {
  size_t at = 0;
  for (ByteView piece : pieces) {
    std::memcpy(out + at, piece.data(), piece.size());
    at += piece.size();
  }
}

}  // namespace shardstore
