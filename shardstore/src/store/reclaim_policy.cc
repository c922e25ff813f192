#include "store/reclaim_policy.h"

#include <algorithm>

#include "hooks/seeded_bug_site.h"
#include "shardstore/assert.h"
#include "shardstore/limits.h"
#include "util/coding.h"

namespace shardstore {

uint64_t EvacuationRoom::Bytes() const {
  const uint32_t spare =
      free_extents > kEvacuationKeepFreeExtents ? free_extents - kEvacuationKeepFreeExtents : 0;
  return uint64_t{open_room_bytes} + uint64_t{spare} * extent_bytes;
}

bool FreesWorthwhileShare(uint64_t live_bytes, uint32_t extent_bytes) {
  // The availability bug: anything that frees a byte is worth it, so a disk full of live data
  // evacuates nearly full extents one after another to win their slack.
  if (SS_SEEDED_BUG(kReclaimCopiesNearlyFullExtents)) return live_bytes < extent_bytes;
  if (live_bytes >= extent_bytes) return false;
  return extent_bytes - live_bytes >= extent_bytes / kReclaimFreedShareDivisor;
}

bool EvacuationFits(const std::vector<uint32_t>& frame_bytes, const EvacuationRoom& room) {
  // Placed as the chunk store places copies (appended back to back, waiting for nothing): each
  // packed behind the one before, but a frame larger than kPackFrameBytesMax on a page of its
  // own. A write is cut at kIoBytesMax, and the frame after a cut starts a page: each cut may
  // leave a page's slack behind.
  const uint64_t cut_slack = uint64_t{room.extent_bytes} / kIoBytesMax * kPageBytes;
  auto usable = [&](uint64_t bytes) { return bytes > cut_slack ? bytes - cut_slack : 0; };
  uint64_t left = usable(room.open_room_bytes);
  uint32_t free = room.free_extents;
  for (const uint32_t bytes : frame_bytes) {
    SS_ASSERT(bytes <= room.extent_bytes);
    // Room from where the frame would start.
    auto from = [&](uint64_t room_left) {
      return bytes > kPackFrameBytesMax ? coding::RoundDown(room_left, kPageBytes) : room_left;
    };
    if (bytes <= from(left)) {
      left = from(left) - bytes;
      continue;
    }
    // As ExtentTable::Reserve: the rest of the open extent is left behind.
    if (free <= kEvacuationKeepFreeExtents) return false;
    --free;
    left = usable(room.extent_bytes);
    if (bytes > left) return false;
    left -= bytes;
  }
  return true;
}

std::optional<uint32_t> PickExtentToReclaim(const std::vector<ExtentView>& extents,
                                            const std::vector<bool>& skip,
                                            const EvacuationRoom& room) {
  SS_ASSERT(skip.size() == extents.size());
  std::optional<uint32_t> best;
  for (uint32_t e = 1; e < extents.size(); ++e) {
    const ExtentView& x = extents[e];
    if (x.owner == ExtentOwner::kFree || skip[e]) continue;
    // An extent still open for appends is worth it only when all it holds is dead: resetting
    // it copies nothing. (A disk at its reserve whose open extent died, its last values
    // deleted or overwritten, has no other way to room.)
    if (x.open && (x.live_bytes > 0 || x.write_pointer == 0)) continue;
    // A sealed extent frees what it does not hold live, its unwritten room too (after a reboot
    // none is open): worth it only for a worthwhile share.
    if (!FreesWorthwhileShare(x.live_bytes, room.extent_bytes)) continue;
    // Live data must fit elsewhere (index runs may take the last extents).
    if (x.owner == ExtentOwner::kData && x.live_bytes > room.Bytes()) continue;
    if (!best || x.live_bytes < extents[*best].live_bytes) best = e;
  }
  return best;
}

bool IsDeadExtent(const ExtentView& extent) {
  return extent.owner != ExtentOwner::kFree && !extent.open && extent.live_bytes == 0;
}

uint32_t PutKeepFreeExtents(uint64_t index_bytes, const DiskGeometry& geometry) {
  // Chunks of at most a quarter extent, padded to pages: three in four bytes of an extent hold
  // run bytes at worst.
  const uint64_t usable = uint64_t{geometry.extent_bytes} / 4 * 3;
  const uint64_t index_extents = (index_bytes + usable - 1) / usable;
  // kPutKeepFreeExtents already holds one extent's worth for the index.
  const uint64_t extra = index_extents > 1 ? index_extents - 1 : 0;
  return kPutKeepFreeExtents +
         static_cast<uint32_t>(std::min<uint64_t>(extra, geometry.extent_count));
}

}  // namespace shardstore
