#include "extent/extent_table.h"

#include <gtest/gtest.h>

#include "shardstore/limits.h"

namespace shardstore {
namespace {

constexpr DiskGeometry kGeometry{4, 16 * kPageBytes};

TEST(ExtentTableTest, ReservesAtTheWritePointerAndOpensNewExtents) {
  ExtentTable table(kGeometry);
  EXPECT_EQ(table.owner(0), ExtentOwner::kSuperblock);
  EXPECT_EQ(table.free_count(), 3u);
  auto a = table.Reserve(ExtentOwner::kData, 10 * kPageBytes);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, (Locator{1, 0, 10 * kPageBytes}));
  auto b = table.Reserve(ExtentOwner::kData, 6 * kPageBytes);
  EXPECT_EQ(*b, (Locator{1, 10 * kPageBytes, 6 * kPageBytes}));
  auto c = table.Reserve(ExtentOwner::kData, kPageBytes);  // extent 1 is full
  EXPECT_EQ(*c, (Locator{2, 0, kPageBytes}));
  auto index = table.Reserve(ExtentOwner::kIndex, kPageBytes);  // owners never share
  EXPECT_EQ(index->extent, 3u);
  EXPECT_EQ(table.owner(3), ExtentOwner::kIndex);
  EXPECT_EQ(table.free_count(), 0u);
}

TEST(ExtentTableTest, NoSpaceWhenEveryExtentIsTaken) {
  ExtentTable table(kGeometry);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(table.Reserve(ExtentOwner::kData, 16 * kPageBytes).ok());
  EXPECT_TRUE(table.Reserve(ExtentOwner::kData, kPageBytes).status().IsNoSpace());
  table.Reset(2);
  EXPECT_EQ(table.write_pointer(2), 0u);
  EXPECT_EQ(*table.Reserve(ExtentOwner::kData, kPageBytes), (Locator{2, 0, kPageBytes}));
}

// A frame too large for the open extent's rest, with no free extent to open, leaves the open
// extent open: a smaller frame still fits there.
TEST(ExtentTableTest, AFrameThatFindsNoRoomLeavesTheOpenExtentOpen) {
  ExtentTable table(kGeometry);
  ASSERT_TRUE(table.Reserve(ExtentOwner::kIndex, kPageBytes).ok());
  ASSERT_TRUE(table.Reserve(ExtentOwner::kMetadata, kPageBytes).ok());
  ASSERT_TRUE(table.Reserve(ExtentOwner::kData, 14 * kPageBytes).ok());
  EXPECT_TRUE(table.Reserve(ExtentOwner::kData, 3 * kPageBytes).status().IsNoSpace());
  EXPECT_TRUE(table.IsOpen(3));
  EXPECT_EQ(*table.Reserve(ExtentOwner::kData, 104), (Locator{3, 14 * kPageBytes, 104}));
  // Packed right behind the frame before, or on the next page.
  EXPECT_EQ(*table.Reserve(ExtentOwner::kData, 96, 0, /*packed=*/true),
            (Locator{3, 14 * kPageBytes + 104, 96}));
  EXPECT_EQ(*table.Reserve(ExtentOwner::kData, 96), (Locator{3, 15 * kPageBytes, 96}));
}

TEST(ExtentTableTest, SealedExtentTakesNoMoreAppends) {
  ExtentTable table(kGeometry);
  ASSERT_TRUE(table.Reserve(ExtentOwner::kData, kPageBytes).ok());
  table.Seal(1);
  EXPECT_EQ(table.Reserve(ExtentOwner::kData, kPageBytes)->extent, 2u);
}

TEST(ExtentTableTest, RestoreReopensOneExtentPerOwner) {
  ExtentTable table(kGeometry);
  table.Restore(1, ExtentOwner::kData, 4 * kPageBytes);
  table.Restore(2, ExtentOwner::kData, 2 * kPageBytes);
  table.Restore(3, ExtentOwner::kFree, 0);
  EXPECT_EQ(*table.Reserve(ExtentOwner::kData, kPageBytes),
            (Locator{1, 4 * kPageBytes, kPageBytes}));
  EXPECT_EQ(table.write_pointer(2), 2 * kPageBytes);
}

TEST(ExtentTableTest, SuperblockExtentIsNeverReset) {
  ExtentTable table(kGeometry);
  EXPECT_THROW(table.Reset(0), AssertionFailure);
}

}  // namespace
}  // namespace shardstore
