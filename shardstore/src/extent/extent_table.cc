#include "extent/extent_table.h"

#include <algorithm>
#include <string>

#include "shardstore/limits.h"
#include "util/coding.h"

namespace shardstore {

std::string_view ExtentOwnerName(ExtentOwner owner) {
  switch (owner) {
    case ExtentOwner::kFree:
      return "free";
    case ExtentOwner::kSuperblock:
      return "superblock";
    case ExtentOwner::kData:
      return "data";
    case ExtentOwner::kIndex:
      return "index";
    case ExtentOwner::kMetadata:
      return "metadata";
  }
  return "unknown";
}

ExtentTable::ExtentTable(DiskGeometry geometry)
    : geometry_(geometry), extents_(geometry.extent_count) {
  extents_[0].owner = ExtentOwner::kSuperblock;
  extents_[0].sealed = true;
}

uint32_t ExtentTable::free_count() const {
  return static_cast<uint32_t>(std::count_if(extents_.begin(), extents_.end(), [](const Extent& e) {
    return e.owner == ExtentOwner::kFree;
  }));
}

bool ExtentTable::IsOpen(uint32_t extent) const {
  for (const auto& open : open_) {
    if (open == extent) return true;
  }
  return false;
}

StatusOr<Locator> ExtentTable::Reserve(ExtentOwner owner, uint32_t bytes, uint32_t keep_free,
                                       bool packed) {
  SS_ASSERT(owner == ExtentOwner::kData || owner == ExtentOwner::kIndex ||
            owner == ExtentOwner::kMetadata);
  SS_ASSERT(bytes > 0 && bytes % kFrameAlignBytes == 0 && bytes <= geometry_.extent_bytes);
  std::optional<uint32_t>& open = OpenFor(owner);
  if (open) {
    Extent& e = extents_[*open];
    const uint64_t at = packed ? e.write_pointer : coding::RoundUp(e.write_pointer, kPageBytes);
    if (!e.sealed && at + bytes <= geometry_.extent_bytes) {
      const Locator locator{*open, static_cast<uint32_t>(at), bytes};
      e.write_pointer = locator.end();
      return locator;
    }
  }
  const uint32_t free = free_count();
  // Without a free extent to go on in, the open extent stays open: its rest may still take a
  // smaller frame, and an evacuation room to copy into.
  if (free <= keep_free && open && !extents_[*open].sealed) {
    return Status::NoSpace("no room for a frame of " + std::to_string(bytes) + " bytes in " +
                           std::string(ExtentOwnerName(owner)) + " extent " +
                           std::to_string(*open) + ", and no free extent to open");
  }
  if (open) {
    extents_[*open].sealed = true;
    open.reset();
  }
  for (uint32_t i = 1; i < extents_.size() && free > keep_free; ++i) {
    Extent& e = extents_[i];
    if (e.owner != ExtentOwner::kFree) continue;
    SS_ASSERT(e.write_pointer == 0);
    e.owner = owner;
    e.sealed = false;
    e.write_pointer = bytes;
    open = i;
    return Locator{i, 0, bytes};
  }
  return Status::NoSpace("no free extent left for " + std::string(ExtentOwnerName(owner)) + " (" +
                         std::to_string(extents_.size()) + " extents)");
}

void ExtentTable::Seal(uint32_t extent) {
  extents_.at(extent).sealed = true;
  for (auto& open : open_) {
    if (open == extent) open.reset();
  }
}

void ExtentTable::Reset(uint32_t extent) {
  SS_ASSERT(extent != 0 && extent < extents_.size());
  Seal(extent);
  const uint64_t resets = extents_[extent].resets + 1;
  extents_[extent] = Extent{};
  extents_[extent].resets = resets;
}

void ExtentTable::Restore(uint32_t extent, ExtentOwner owner, uint32_t write_pointer) {
  SS_ASSERT(extent != 0 && extent < extents_.size());
  SS_ASSERT(write_pointer <= geometry_.extent_bytes && write_pointer % kFrameAlignBytes == 0);
  Extent& e = extents_[extent];
  // An extent opened just before a crash can be recorded as owned with nothing durable in it:
  // it holds nothing, so it is free.
  if (write_pointer == 0) owner = ExtentOwner::kFree;
  e.owner = owner;
  e.write_pointer = owner == ExtentOwner::kFree ? 0 : write_pointer;
  e.sealed = owner == ExtentOwner::kFree ||
             coding::RoundUp(write_pointer, kPageBytes) == geometry_.extent_bytes;
  if (owner == ExtentOwner::kFree || e.sealed) return;
  std::optional<uint32_t>& open = OpenFor(owner);
  if (open) {
    e.sealed = true;  // one open extent per owner; the rest stay as they are until reclaimed
  } else {
    open = extent;
  }
}

}  // namespace shardstore
