#include "chunk/chunk_format.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "shardstore/limits.h"

namespace shardstore {
namespace {

ChunkHeader SampleHeader() {
  ChunkHeader header;
  header.kind = ChunkKind::kData;
  header.sequence = 0x1122334455667788ull;
  header.part_index = 1;
  header.part_count = 3;
  for (size_t i = 0; i < header.uuid.size(); ++i) header.uuid[i] = static_cast<uint8_t>(i + 1);
  return header;
}

Bytes Payload(size_t bytes) {
  Bytes payload(bytes);
  for (size_t i = 0; i < bytes; ++i) payload[i] = static_cast<uint8_t>(i * 31 + 7);
  return payload;
}

TEST(ChunkFormatTest, FrameSizeIsAlignedNotPagePadded) {
  const uint32_t overhead = kChunkHeaderBytes + kChunkTrailerBytes;
  EXPECT_EQ(ChunkFrameBytes(0, 0), overhead);
  EXPECT_EQ(ChunkFrameBytes(0, 1), overhead + kFrameAlignBytes);
  EXPECT_EQ(ChunkFrameBytes(3, 5), overhead + kFrameAlignBytes);
  EXPECT_EQ(ChunkFrameBytes(16, 4096), overhead + 16 + 4096);  // a 4 KiB value: 4208 bytes
  // The encoder still hands out whole pages, zeros past the frame.
  const PageBytes frame = EncodeChunk(SampleHeader(), "k", Payload(4000));
  ASSERT_EQ(frame.size(), 2 * kPageBytes);
  const uint32_t frame_bytes = ChunkFrameBytes(1, 4000);
  EXPECT_TRUE(
      std::all_of(frame.begin() + frame_bytes, frame.end(), [](uint8_t b) { return b == 0; }));
}

// Frames written by format versions 1 and 2 filled whole pages; their headers say so.
TEST(ChunkFormatTest, PagedVersionsKeepTheirFrameSize) {
  ChunkHeader header = SampleHeader();
  header.key_bytes = 3;
  header.payload_bytes = 5;
  header.version = kChunkFormatVersionPaged;
  EXPECT_EQ(header.frame_bytes(), kPageBytes);
  header.version = kChunkFormatVersion;
  EXPECT_EQ(header.frame_bytes(), kChunkHeaderBytes + kChunkTrailerBytes + kFrameAlignBytes);
}

// The walk steps over bytes holding no frame by kFrameAlignBytes, and over zeros to the page end
// at once.
TEST(ChunkFormatTest, NextFrameCandidateSkipsPaddingToThePageEnd) {
  Bytes bytes(kPageBytes, 0);
  EXPECT_EQ(NextFrameCandidate(kPageBytes + 96, ByteView(bytes).first(kPageBytes - 96)),
            2 * kPageBytes);
  EXPECT_TRUE(ZerosToPageEnd(kPageBytes + 96, ByteView(bytes).first(kPageBytes - 96)));
  bytes[200] = 1;
  EXPECT_EQ(NextFrameCandidate(8, bytes), 16u);
  EXPECT_FALSE(ZerosToPageEnd(8, bytes));
  // Only to the end of what was given, when that comes first.
  EXPECT_EQ(NextFrameCandidate(8, ByteView(bytes).first(100)), 108u);
}

TEST(ChunkFormatTest, RoundTripsAtPageBoundaries) {
  const uint32_t fits = kPageBytes - kChunkHeaderBytes - kChunkTrailerBytes - 3;
  for (uint32_t size : {0u, 1u, fits - 1, fits, fits + 1, 3 * kPageBytes, 100000u}) {
    const Bytes payload = Payload(size);
    const PageBytes frame = EncodeChunk(SampleHeader(), "key", payload);
    ASSERT_EQ(frame.size() % kPageBytes, 0u);
    auto decoded = DecodeChunk(frame);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(decoded->key, "key");
    EXPECT_TRUE(std::equal(payload.begin(), payload.end(), decoded->payload.begin(),
                           decoded->payload.end()));
    ChunkHeader expected = SampleHeader();
    expected.key_bytes = 3;
    expected.payload_bytes = size;
    EXPECT_EQ(decoded->header, expected);
  }
}

// Every single corrupted byte of a frame — header, key, payload, padding, trailer — is reported
// as Corruption, for several corruption patterns.
TEST(ChunkFormatTest, EveryCorruptedByteIsCorruption) {
  const PageBytes good = EncodeChunk(SampleHeader(), "some-key", Payload(5001));
  const uint32_t frame_bytes = ChunkFrameBytes(8, 5001);
  ASSERT_EQ(frame_bytes, 5112u);  // 72 + 8 + 5001 + 24 = 5105, and 7 bytes of padding
  for (uint8_t mask : {0x01, 0x80, 0xff}) {
    for (size_t at = 0; at < frame_bytes; ++at) {
      PageBytes bad = good;
      bad[at] ^= mask;
      auto decoded = DecodeChunk(bad);
      ASSERT_FALSE(decoded.ok()) << "byte " << at << " mask " << int{mask};
      ASSERT_TRUE(decoded.status().IsCorruption()) << decoded.status().ToString();
    }
  }
}

TEST(ChunkFormatTest, TruncatedFrameIsCorruption) {
  const PageBytes good = EncodeChunk(SampleHeader(), "k", Payload(5000));
  const size_t frame_bytes = ChunkFrameBytes(1, 5000);
  for (size_t keep : {size_t{0}, size_t{10}, size_t{kChunkHeaderBytes}, frame_bytes - 1}) {
    auto decoded = DecodeChunk(ByteView(good.data(), keep));
    EXPECT_TRUE(decoded.status().IsCorruption()) << keep;
  }
}

TEST(ChunkFormatTest, TornFrameIsCaughtByTrailer) {
  // First page of a new chunk over the second page of an older one with the same layout.
  ChunkHeader other = SampleHeader();
  other.uuid[0] ^= 0xff;
  const PageBytes older = EncodeChunk(other, "k", Payload(5000));
  PageBytes torn = EncodeChunk(SampleHeader(), "k", Payload(5000));
  std::copy(older.begin() + kPageBytes, older.end(), torn.begin() + kPageBytes);
  auto decoded = DecodeChunk(torn);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.status().message().find("trailer"), std::string::npos);
}

TEST(ChunkFormatTest, HeaderAloneDecodes) {
  const PageBytes frame = EncodeChunk(SampleHeader(), "k", Payload(9000));
  auto header = DecodeChunkHeader(ByteView(frame.data(), kPageBytes));
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->frame_bytes(), ChunkFrameBytes(1, 9000));
  EXPECT_EQ(frame.size(), 3 * kPageBytes);
}

TEST(ChunkFormatTest, EncoderRejectsBadParts) {
  ChunkHeader header = SampleHeader();
  header.part_index = 3;
  EXPECT_THROW(EncodeChunk(header, "k", Payload(1)), AssertionFailure);
}

}  // namespace
}  // namespace shardstore
