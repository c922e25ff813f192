// Reclamation policy: which extent the store reclaims next, and how many free extents a Put
// must leave. The mechanism (scan, evacuate, make the index update durable, reset) lives in
// Store::ReclaimLocked; this file only chooses.
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "extent/extent_table.h"
#include "shardstore/disk.h"

namespace shardstore {

// What the policy knows of one extent.
struct ExtentView {
  ExtentOwner owner = ExtentOwner::kFree;
  uint32_t write_pointer = 0;  // soft: includes appends not yet durable
  uint64_t live_bytes = 0;     // bytes of chunks the index (or its metadata) still needs
  bool open = false;           // its owner's new chunks go here
};

// The emptiest extent worth reclaiming: not extent 0, not free, not in `skip`, and freeing
// something. An extent open for appends is worth it only when all it holds is dead (resetting
// it copies nothing); a sealed one unless every byte of a full extent is live (one sealed short
// of full frees its unwritten room too). nullopt when none is worth it.
// REQUIRES: skip.size() == extents.size().
std::optional<uint32_t> PickExtentToReclaim(const std::vector<ExtentView>& extents,
                                            const std::vector<bool>& skip, uint32_t extent_bytes);

// True when `extent` can be reset without copying anything: owned, sealed, nothing live.
bool IsDeadExtent(const ExtentView& extent);

// The free extents a Put must leave: kPutKeepFreeExtents, plus room to write the whole index
// (`index_bytes` of runs) again, since a compaction rewrites every live run before the old ones
// can be reclaimed.
uint32_t PutKeepFreeExtents(uint64_t index_bytes, const DiskGeometry& geometry);

}  // namespace shardstore
