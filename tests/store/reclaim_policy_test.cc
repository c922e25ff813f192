// The reclamation policy: worth it only for a worthwhile share, only where the copies fit.
#include "store/reclaim_policy.h"

#include <gtest/gtest.h>

#include "chunk/chunk_format.h"
#include "shardstore/limits.h"

namespace shardstore {
namespace {

constexpr uint32_t kExtentBytes = 64 * kPageBytes;

ExtentView Sealed(uint64_t live_bytes, uint32_t write_pointer = kExtentBytes) {
  return {ExtentOwner::kData, write_pointer, live_bytes, false};
}

EvacuationRoom Room(uint32_t free_extents, uint32_t open_room_bytes = 0) {
  return {kExtentBytes, open_room_bytes, free_extents};
}

TEST(ReclaimPolicyTest, WorthwhileShareIsAnEighth) {
  const uint32_t share = kExtentBytes / kReclaimFreedShareDivisor;
  EXPECT_TRUE(FreesWorthwhileShare(0, kExtentBytes));
  EXPECT_TRUE(FreesWorthwhileShare(kExtentBytes - share, kExtentBytes));
  EXPECT_FALSE(FreesWorthwhileShare(kExtentBytes - share + 1, kExtentBytes));
  EXPECT_FALSE(FreesWorthwhileShare(kExtentBytes - kPageBytes, kExtentBytes));  // 63/64 live
  EXPECT_FALSE(FreesWorthwhileShare(kExtentBytes, kExtentBytes));
}

TEST(ReclaimPolicyTest, NearlyFullExtentsAreNotWorthIt) {
  // Every extent 63/64 live: nothing to pick, however low the free extents.
  const std::vector<ExtentView> extents = {{ExtentOwner::kSuperblock, 0, 0, false},
                                           Sealed(kExtentBytes - kPageBytes),
                                           Sealed(kExtentBytes - kPageBytes),
                                           {}};
  EXPECT_EQ(PickExtentToReclaim(extents, std::vector<bool>(4, false), Room(1)), std::nullopt);
}

TEST(ReclaimPolicyTest, PicksTheEmptiestWorthwhileExtentThatFits) {
  const std::vector<ExtentView> extents = {
      {ExtentOwner::kSuperblock, 0, 0, false},
      Sealed(kExtentBytes / 2),
      Sealed(kExtentBytes / 4),
      {ExtentOwner::kData, kExtentBytes / 2, 0, true},  // open, all dead
      Sealed(kExtentBytes / 8, kExtentBytes / 8),       // sealed short of full: frees its rest
  };
  const std::vector<bool> none(extents.size(), false);
  EXPECT_EQ(PickExtentToReclaim(extents, none, Room(3)), 3u);
  std::vector<bool> skip = none;
  skip[3] = true;
  EXPECT_EQ(PickExtentToReclaim(extents, skip, Room(3)), 4u);
  skip[4] = true;
  EXPECT_EQ(PickExtentToReclaim(extents, skip, Room(3)), 2u);
  // No free extent beyond the evacuation reserve, and a quarter extent of room in the open one:
  // only what fits there.
  EXPECT_EQ(PickExtentToReclaim(extents, skip, Room(kEvacuationKeepFreeExtents, kExtentBytes / 4)),
            2u);
  EXPECT_EQ(PickExtentToReclaim(extents, skip, Room(kEvacuationKeepFreeExtents, kPageBytes)),
            std::nullopt);
}

TEST(ReclaimPolicyTest, EvacuationFitsAsTheExtentTablePlacesFrames) {
  const uint32_t third = 20 * kPageBytes;  // three fit in an extent, with 4 pages over
  const std::vector<uint32_t> four(4, third);
  // One spare extent: three frames there, the fourth needs another.
  EXPECT_FALSE(EvacuationFits(four, Room(kEvacuationKeepFreeExtents + 1)));
  EXPECT_TRUE(EvacuationFits(four, Room(kEvacuationKeepFreeExtents + 2)));
  // The open extent's room takes the first; what does not fit there is left behind.
  EXPECT_TRUE(EvacuationFits(four, Room(kEvacuationKeepFreeExtents + 1, third)));
  EXPECT_FALSE(EvacuationFits(four, Room(kEvacuationKeepFreeExtents + 1, third - kPageBytes)));
  EXPECT_TRUE(EvacuationFits({}, Room(0)));
}

// Copies are packed behind each other, several to a page: a 4 KiB value's frame (4208 bytes)
// does not take two pages.
TEST(ReclaimPolicyTest, EvacuationFitsPacksSmallFrames) {
  const uint32_t small = ChunkFrameBytes(16, 4096);
  const std::vector<uint32_t> packed(kExtentBytes / small, small);
  ASSERT_GT(packed.size(), kExtentBytes / (2 * kPageBytes));
  EXPECT_TRUE(EvacuationFits(packed, Room(kEvacuationKeepFreeExtents + 1)));
  std::vector<uint32_t> one_more = packed;
  one_more.push_back(small);
  EXPECT_FALSE(EvacuationFits(one_more, Room(kEvacuationKeepFreeExtents + 1)));
}

}  // namespace
}  // namespace shardstore
