// Bounded-exhaustive: every valid chunk header of small frames, mutated in one byte (every
// position, every value) or two bytes (every pair of positions, several masks), decodes to
// Corruption or to an identical header — never to a different header the checksum missed.
#include <gtest/gtest.h>

#include "chunk/chunk_format.h"
#include "shardstore/limits.h"

namespace shardstore {
namespace {

PageBytes Frame(ChunkKind kind, size_t key_bytes, size_t payload_bytes) {
  ChunkHeader header;
  header.kind = kind;
  header.sequence = 0x0102030405060708ull;
  header.part_count = 2;
  header.part_index = 1;
  for (size_t i = 0; i < header.uuid.size(); ++i) header.uuid[i] = static_cast<uint8_t>(0xa0 + i);
  return EncodeChunk(header, std::string(key_bytes, 'k'), Bytes(payload_bytes, 0x5c));
}

// The header region: fixed fields plus the key, all covered by the header checksum.
size_t HeaderRegion(size_t key_bytes) { return kChunkHeaderBytes + key_bytes; }

void ExpectCorruptionOrSame(const Bytes& mutated, const ChunkHeader& original, size_t a, size_t b) {
  auto header = DecodeChunkHeader(ByteView(mutated.data(), kPageBytes));
  if (header.ok()) {
    ASSERT_EQ(*header, original) << "bytes " << a << "," << b << " decoded to another header";
  } else {
    ASSERT_TRUE(header.status().IsCorruption()) << header.status().ToString();
  }
  ASSERT_TRUE(DecodeChunk(mutated).status().IsCorruption()) << "bytes " << a << "," << b;
}

TEST(ChunkHeaderExhaustiveTest, EveryOneByteMutation) {
  for (int kind = 1; kind <= kChunkKindMax; ++kind) {
    for (size_t key_bytes : {0, 1, 3}) {
      for (size_t payload_bytes : {0, 1, 100}) {
        const PageBytes frame = Frame(static_cast<ChunkKind>(kind), key_bytes, payload_bytes);
        const ChunkHeader original = *DecodeChunkHeader(frame);
        for (size_t at = 0; at < HeaderRegion(key_bytes); ++at) {
          for (int value = 0; value < 256; ++value) {
            if (value == frame[at]) continue;
            Bytes mutated(frame.begin(), frame.end());
            mutated[at] = static_cast<uint8_t>(value);
            ExpectCorruptionOrSame(mutated, original, at, at);
          }
        }
      }
    }
  }
}

TEST(ChunkHeaderExhaustiveTest, EveryTwoByteMutation) {
  const uint8_t masks[] = {0x01, 0x80, 0xff};
  for (int kind = 1; kind <= kChunkKindMax; ++kind) {
    const size_t key_bytes = 3;
    const PageBytes frame = Frame(static_cast<ChunkKind>(kind), key_bytes, 1);
    const ChunkHeader original = *DecodeChunkHeader(frame);
    for (size_t a = 0; a < HeaderRegion(key_bytes); ++a) {
      for (size_t b = a + 1; b < HeaderRegion(key_bytes); ++b) {
        for (uint8_t mask_a : masks) {
          for (uint8_t mask_b : masks) {
            Bytes mutated(frame.begin(), frame.end());
            mutated[a] ^= mask_a;
            mutated[b] ^= mask_b;
            ExpectCorruptionOrSame(mutated, original, a, b);
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace shardstore
