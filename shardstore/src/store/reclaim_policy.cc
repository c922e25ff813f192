#include "store/reclaim_policy.h"

#include <algorithm>

#include "shardstore/assert.h"
#include "shardstore/limits.h"

namespace shardstore {

std::optional<uint32_t> PickExtentToReclaim(const std::vector<ExtentView>& extents,
                                            const std::vector<bool>& skip, uint32_t extent_bytes) {
  SS_ASSERT(skip.size() == extents.size());
  std::optional<uint32_t> best;
  for (uint32_t e = 1; e < extents.size(); ++e) {
    const ExtentView& x = extents[e];
    if (x.owner == ExtentOwner::kFree || skip[e]) continue;
    // An extent still open for appends is worth it only when all it holds is dead: resetting
    // it copies nothing. (A disk at its reserve whose open extent died, its last values
    // deleted or overwritten, has no other way to room.)
    if (x.open && (x.live_bytes > 0 || x.write_pointer == 0)) continue;
    // Worth it unless every byte of a full extent is live: an extent sealed short of full
    // (after a reboot none is open) frees its unwritten room too.
    if (x.live_bytes >= extent_bytes) continue;
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
