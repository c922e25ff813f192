// ExtentTable: the in-memory state of every extent — owner and write pointer — and the allocator
// of open extents.
//
// Extents are append-only. Each owner (data, index, metadata) appends to one open extent at a
// time; Reserve() hands out the space at its write pointer and moves the pointer, opening the
// lowest-numbered free extent when the open one is full or sealed. Reset() rewinds an extent to
// offset 0 and frees it. Extent 0 belongs to the superblock and is never handed out.
//
// The write pointer here is the "soft" pointer: it counts appends that are queued but not yet
// durable, and ends where the last frame ends (a multiple of kFrameAlignBytes, not always of a
// page). What the superblock persists is the durable frontier (IoScheduler), in whole pages.
//
// Thread-safety: not thread-safe; ChunkStore serializes access.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "shardstore/disk.h"
#include "shardstore/locator.h"
#include "shardstore/status.h"

namespace shardstore {

enum class ExtentOwner : uint8_t {
  kFree = 0,
  kSuperblock = 1,
  kData = 2,
  kIndex = 3,
  kMetadata = 4,
};
inline constexpr uint8_t kExtentOwnerMax = 4;

std::string_view ExtentOwnerName(ExtentOwner owner);

class ExtentTable {
 public:
  // A freshly formatted table: extent 0 is the superblock's, every other extent is free.
  explicit ExtentTable(DiskGeometry geometry);

  const DiskGeometry& geometry() const { return geometry_; }
  ExtentOwner owner(uint32_t extent) const { return extents_.at(extent).owner; }
  uint32_t write_pointer(uint32_t extent) const { return extents_.at(extent).write_pointer; }
  uint64_t resets(uint32_t extent) const { return extents_.at(extent).resets; }
  uint32_t free_count() const;

  // Space for `bytes` in `owner`'s open extent: at the next page boundary from its write pointer,
  // or right at the write pointer when `packed` (the caller writes the frame in the same IO as
  // the one before it). NoSpace when the open extent lacks room and opening a free one would
  // leave fewer than `keep_free` free extents. REQUIRES: 0 < bytes <= extent_bytes, bytes a
  // multiple of kFrameAlignBytes, owner is kData, kIndex or kMetadata.
  StatusOr<Locator> Reserve(ExtentOwner owner, uint32_t bytes, uint32_t keep_free = 0,
                            bool packed = false);
  bool IsOpen(uint32_t extent) const;
  // The extent `owner` appends to now, if it has one.
  std::optional<uint32_t> OpenExtent(ExtentOwner owner) const {
    return open_[static_cast<size_t>(owner)];
  }

  // No more appends to `extent` until it is reset (it is full, or a write to it failed).
  void Seal(uint32_t extent);

  // Rewinds `extent` to offset 0 and frees it. REQUIRES: extent != 0.
  void Reset(uint32_t extent);

  // At recovery: `extent` is owned by `owner` with `write_pointer` bytes written. For each owner,
  // the lowest-numbered extent restored with room becomes its open extent again.
  void Restore(uint32_t extent, ExtentOwner owner, uint32_t write_pointer);

 private:
  struct Extent {
    ExtentOwner owner = ExtentOwner::kFree;
    uint32_t write_pointer = 0;
    bool sealed = false;
    uint64_t resets = 0;  // since this table was built
  };

  std::optional<uint32_t>& OpenFor(ExtentOwner owner) { return open_[static_cast<size_t>(owner)]; }

  const DiskGeometry geometry_;
  std::vector<Extent> extents_;
  std::array<std::optional<uint32_t>, kExtentOwnerMax + 1> open_;
};

}  // namespace shardstore
