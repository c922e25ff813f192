#include <gtest/gtest.h>

#include "index/lsm_metadata.h"
#include "index/run_format.h"
#include "shardstore/limits.h"

namespace shardstore {
namespace {

RunEntries SampleRun() {
  RunEntries entries;
  entries.emplace_back("alpha", IndexEntry{7, false, {{1, 0, kPageBytes}}});
  entries.emplace_back("beta", IndexEntry{9, true, {}});
  entries.emplace_back(
      "gamma", IndexEntry{12, false, {{2, kPageBytes, 2 * kPageBytes}, {3, 0, kPageBytes}}});
  return entries;
}

TEST(RunFormatTest, RoundTrips) {
  const RunEntries entries = SampleRun();
  auto decoded = DecodeRun(EncodeRun(entries));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, entries);
  EXPECT_TRUE(DecodeRun(EncodeRun({})).ok());
}

TEST(RunFormatTest, EveryTruncationIsCorruption) {
  const Bytes bytes = EncodeRun(SampleRun());
  for (size_t keep = 0; keep < bytes.size(); ++keep) {
    EXPECT_TRUE(DecodeRun(ByteView(bytes.data(), keep)).status().IsCorruption()) << keep;
  }
  Bytes longer = bytes;
  longer.push_back(0);
  EXPECT_TRUE(DecodeRun(longer).status().IsCorruption());
}

TEST(RunFormatTest, InconsistentRunsAreCorruption) {
  RunEntries unordered = SampleRun();
  std::swap(unordered[0], unordered[1]);
  Bytes bytes = EncodeRun(SampleRun());
  // Claim more entries than there are.
  bytes[4] = 9;
  EXPECT_TRUE(DecodeRun(bytes).status().IsCorruption());
  EXPECT_THROW(EncodeRun(unordered), AssertionFailure);  // the encoder asserts its REQUIRES
}

TEST(LsmMetadataTest, RoundTripsAndRejectsDamage) {
  LsmMetadata metadata;
  metadata.version = 4;
  metadata.next_run_id = 10;
  metadata.runs.push_back({9, 0, 100, 500, {{4, 0, kPageBytes}}});
  metadata.runs.push_back({3, 1, 1000, 400, {{5, 0, kPageBytes}, {5, kPageBytes, kPageBytes}}});
  const Bytes bytes = EncodeLsmMetadata(metadata);
  auto decoded = DecodeLsmMetadata(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, metadata);
  for (size_t keep = 0; keep < bytes.size(); ++keep) {
    EXPECT_TRUE(DecodeLsmMetadata(ByteView(bytes.data(), keep)).status().IsCorruption());
  }
  LsmMetadata misordered = metadata;
  std::swap(misordered.runs[0], misordered.runs[1]);
  EXPECT_TRUE(DecodeLsmMetadata(EncodeLsmMetadata(misordered)).status().IsCorruption());
}

}  // namespace
}  // namespace shardstore
