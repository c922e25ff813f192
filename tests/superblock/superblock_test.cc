#include "superblock/superblock.h"

#include <gtest/gtest.h>

#include "shardstore/limits.h"

namespace shardstore {
namespace {

Label SampleLabel() {
  Label label{{8, 64 * kPageBytes}, {}};
  for (size_t i = 0; i < label.disk_uuid.size(); ++i) label.disk_uuid[i] = static_cast<uint8_t>(i);
  return label;
}

Superblock SampleSuperblock(const Label& label) {
  Superblock sb;
  sb.disk_uuid = label.disk_uuid;
  sb.geometry = label.geometry;
  sb.sequence = 42;
  sb.next_chunk_sequence = 1000;
  sb.extents.resize(label.geometry.extent_count);
  sb.extents[0].owner = ExtentOwner::kSuperblock;
  sb.extents[3] = {ExtentOwner::kData, 5 * kPageBytes};
  sb.extents[4] = {ExtentOwner::kIndex, 2 * kPageBytes};
  sb.index_root = Locator{4, kPageBytes, kPageBytes};
  return sb;
}

TEST(SuperblockTest, LabelRoundTrips) {
  const Label label = SampleLabel();
  auto decoded = DecodeLabel(EncodeLabel(label));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, label);
}

TEST(SuperblockTest, LabelErrorsAreDistinct) {
  EXPECT_TRUE(DecodeLabel(Bytes(kPageBytes, 0)).status().IsNotFound());
  EXPECT_TRUE(DecodeLabel(Bytes(kPageBytes, 0x11)).status().IsInvalidArgument());
  Bytes damaged = EncodeLabel(SampleLabel());
  damaged[13] ^= 1;
  EXPECT_TRUE(DecodeLabel(damaged).status().IsCorruption());
}

TEST(SuperblockTest, SuperblockRoundTrips) {
  const Label label = SampleLabel();
  const Superblock sb = SampleSuperblock(label);
  const Bytes slot = EncodeSuperblock(sb);
  EXPECT_EQ(slot.size(), SuperblockSlotBytes(8));
  auto decoded = DecodeSuperblock(slot, label);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, sb);
}

TEST(SuperblockTest, EveryCorruptedCoveredByteIsDetected) {
  const Label label = SampleLabel();
  const Bytes good = EncodeSuperblock(SampleSuperblock(label));
  const size_t covered = kSuperblockHeaderBytes + 8 * kSuperblockEntryBytes + 8;
  for (size_t at = 0; at < covered; ++at) {
    Bytes bad = good;
    bad[at] ^= 0x40;
    ASSERT_TRUE(DecodeSuperblock(bad, label).status().IsCorruption()) << "byte " << at;
  }
}

TEST(SuperblockTest, SuperblockOfAnotherFormatIsRejected) {
  const Label label = SampleLabel();
  Label other = label;
  other.disk_uuid[0] ^= 1;
  EXPECT_TRUE(
      DecodeSuperblock(EncodeSuperblock(SampleSuperblock(label)), other).status().IsCorruption());
}

TEST(SuperblockTest, ImpossibleRecordsAreRejectedEvenWithAValidChecksum) {
  const Label label = SampleLabel();
  Superblock sb = SampleSuperblock(label);
  sb.extents[2] = {ExtentOwner::kFree, kPageBytes};  // a free extent with data
  EXPECT_TRUE(DecodeSuperblock(EncodeSuperblock(sb), label).status().IsCorruption());
  sb = SampleSuperblock(label);
  sb.index_root = Locator{4, 2 * kPageBytes, kPageBytes};  // past its extent's write pointer
  EXPECT_TRUE(DecodeSuperblock(EncodeSuperblock(sb), label).status().IsCorruption());
}

TEST(SuperblockTest, GeometryMustFitExtentZero) {
  EXPECT_TRUE(CheckSuperblockFits({8, 16 * kPageBytes}).ok());
  // 2 slots of 2 pages each plus the label do not fit in 4 pages.
  EXPECT_TRUE(CheckSuperblockFits({1000, 4 * kPageBytes}).IsInvalidArgument());
}

}  // namespace
}  // namespace shardstore
