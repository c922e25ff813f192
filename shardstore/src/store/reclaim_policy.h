// Reclamation policy: which extent the store reclaims next, whether reclaiming one is worth its
// copies, whether its live chunks fit elsewhere, and how many free extents a Put must leave. The
// mechanism (scan, evacuate, make the index update durable, reset) lives in
// Store::ReclaimLocked; this file only chooses.
//
// The rule: an extent is worth reclaiming when it frees at least extent_bytes /
// kReclaimFreedShareDivisor (limits.h) — the bytes it does not hold live, written or not — so
// reclamation copies at most kReclaimFreedShareDivisor - 1 bytes per byte it frees; and only when
// its live bytes fit in the room evacuation may use. When no extent qualifies, the store stops
// reclaiming, and a Put that finds no room fails with NoSpace.
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

// Where evacuated data chunks may go.
struct EvacuationRoom {
  uint32_t extent_bytes = 0;
  uint32_t open_room_bytes = 0;  // left in the open data extent (0: none open)
  uint32_t free_extents = 0;     // of which kEvacuationKeepFreeExtents stay free
  // An upper bound on the bytes of frames that fit: the open extent's room and every free
  // extent beyond the reserve.
  uint64_t Bytes() const;
};

// True when resetting an extent of `extent_bytes` that holds `live_bytes` (which must be copied
// first) frees a worthwhile share of it: extent_bytes - live_bytes >= extent_bytes /
// kReclaimFreedShareDivisor.
bool FreesWorthwhileShare(uint64_t live_bytes, uint32_t extent_bytes);

// True when frames of `frame_bytes`, appended in order, fit in `room` as the chunk store would
// place copies (packed, and a frame that does not fit the open extent's rest opens a free one).
bool EvacuationFits(const std::vector<uint32_t>& frame_bytes, const EvacuationRoom& room);

// The emptiest extent worth reclaiming: not extent 0, not free, not in `skip`, freeing a
// worthwhile share (FreesWorthwhileShare), and, for a data extent, with live bytes that fit in
// `room`. An extent open for appends is worth it only when all it holds is dead (resetting it
// copies nothing). nullopt when none is worth it.
// REQUIRES: skip.size() == extents.size().
std::optional<uint32_t> PickExtentToReclaim(const std::vector<ExtentView>& extents,
                                            const std::vector<bool>& skip,
                                            const EvacuationRoom& room);

// True when `extent` can be reset without copying anything: owned, sealed, nothing live.
bool IsDeadExtent(const ExtentView& extent);

// The free extents a Put must leave: kPutKeepFreeExtents, plus room to write the whole index
// (`index_bytes` of runs) again, since a compaction rewrites every live run before the old ones
// can be reclaimed.
uint32_t PutKeepFreeExtents(uint64_t index_bytes, const DiskGeometry& geometry);

}  // namespace shardstore
