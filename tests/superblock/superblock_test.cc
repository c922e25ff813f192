#include "superblock/superblock.h"

#include <gtest/gtest.h>

#include "shardstore/limits.h"
#include "util/checksum.h"
#include "util/coding.h"

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
  sb.extents[3] = {ExtentOwner::kData, 5 * kPageBytes, 2 * kPageBytes};
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

// Format version 1 had no replay floors (its entries' last three bytes were zero): every extent
// reads as replayed up to its write pointer, and a version 1 label is still accepted.
TEST(SuperblockTest, VersionOneReadsWithFloorsAtTheWritePointers) {
  Label label = SampleLabel();
  label.version = 1;
  const auto old_label = DecodeLabel(EncodeLabel(label));
  ASSERT_TRUE(old_label.ok()) << old_label.status().ToString();
  EXPECT_EQ(old_label->version, 1u);
  Superblock sb = SampleSuperblock(label);
  sb.extents[3].replay_from = 0;
  Bytes slot = EncodeSuperblock(sb);
  coding::Put32(slot.data() + 8, 1);
  const size_t checksum_at = kSuperblockHeaderBytes + 8 * kSuperblockEntryBytes;
  coding::Put64(slot.data() + checksum_at, Checksum(ByteView(slot.data(), checksum_at)));
  auto decoded = DecodeSuperblock(slot, label);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  for (const ExtentRecord& e : decoded->extents) EXPECT_EQ(e.replay_from, e.write_pointer);
  // A version 1 slot with a floor set is not one a version 1 build wrote.
  sb.extents[3].replay_from = kPageBytes;
  slot = EncodeSuperblock(sb);
  coding::Put32(slot.data() + 8, 1);
  coding::Put64(slot.data() + checksum_at, Checksum(ByteView(slot.data(), checksum_at)));
  EXPECT_TRUE(DecodeSuperblock(slot, label).status().IsCorruption());
}

TEST(SuperblockTest, AFloorPastItsWritePointerIsCorruption) {
  const Label label = SampleLabel();
  Superblock sb = SampleSuperblock(label);
  Bytes slot = EncodeSuperblock(sb);
  // Extent 3's floor (pages, u24 after the owner byte) set to 6 pages, past its 5-page pointer.
  const size_t entry = kSuperblockHeaderBytes + 3 * kSuperblockEntryBytes;
  slot[entry + 5] = 6;
  const size_t checksum_at = kSuperblockHeaderBytes + 8 * kSuperblockEntryBytes;
  coding::Put64(slot.data() + checksum_at, Checksum(ByteView(slot.data(), checksum_at)));
  EXPECT_TRUE(DecodeSuperblock(slot, label).status().IsCorruption());
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
