// Properties of the chunk codec over generated inputs.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "chunk/chunk_format.h"
#include "shardstore/limits.h"

namespace shardstore {
namespace {

ChunkHeader GenHeader() {
  ChunkHeader header;
  header.kind = static_cast<ChunkKind>(*rc::gen::inRange<int>(1, kChunkKindMax + 1));
  header.sequence = *rc::gen::arbitrary<uint64_t>();
  header.part_count = *rc::gen::inRange<uint32_t>(1, 10);
  header.part_index = *rc::gen::inRange<uint32_t>(0, header.part_count);
  for (uint8_t& b : header.uuid) b = *rc::gen::arbitrary<uint8_t>();
  return header;
}

RC_GTEST_PROP(ChunkFormatProperty, DecodeInvertsEncode, ()) {
  const ChunkHeader header = GenHeader();
  const auto key = *rc::gen::container<std::string>(*rc::gen::inRange<size_t>(0, 64),
                                                    rc::gen::arbitrary<char>());
  const auto payload = *rc::gen::container<Bytes>(*rc::gen::inRange<size_t>(0, 20000),
                                                  rc::gen::arbitrary<uint8_t>());
  const PageBytes frame = EncodeChunk(header, key, payload);
  auto decoded = DecodeChunk(frame);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(decoded->key == key);
  RC_ASSERT(Bytes(decoded->payload.begin(), decoded->payload.end()) == payload);
  RC_ASSERT(decoded->header.sequence == header.sequence);
  RC_ASSERT(decoded->header.uuid == header.uuid);
  RC_ASSERT(decoded->header.frame_bytes() == ChunkFrameBytes(key.size(), payload.size()));
  RC_ASSERT(frame.size() ==
            (decoded->header.frame_bytes() + kPageBytes - 1) / kPageBytes * kPageBytes);
}

// Arbitrary bytes never crash the decoder, and whatever it accepts is self-consistent.
RC_GTEST_PROP(ChunkFormatProperty, ArbitraryBytesNeverCrash, ()) {
  const auto bytes = *rc::gen::container<Bytes>(*rc::gen::inRange<size_t>(0, 3 * kPageBytes),
                                                rc::gen::arbitrary<uint8_t>());
  auto decoded = DecodeChunk(bytes);
  if (decoded.ok())
    RC_ASSERT(decoded->header.frame_bytes() <= bytes.size());
  else
    RC_ASSERT(decoded.status().IsCorruption());
}

// A valid frame with a random burst of damage is never decoded into different contents.
RC_GTEST_PROP(ChunkFormatProperty, DamageIsDetected, ()) {
  const auto payload =
      *rc::gen::container<Bytes>(*rc::gen::inRange<size_t>(0, 9000), rc::gen::arbitrary<uint8_t>());
  PageBytes frame = EncodeChunk(GenHeader(), "key", payload);
  // Damage inside the frame: the zeros past it, to the page end, belong to no frame.
  const size_t frame_bytes = ChunkFrameBytes(3, payload.size());
  const size_t at = *rc::gen::inRange<size_t>(0, frame_bytes);
  const size_t length = *rc::gen::inRange<size_t>(1, std::min<size_t>(64, frame_bytes - at) + 1);
  bool changed = false;
  for (size_t i = at; i < at + length; ++i) {
    const uint8_t b = *rc::gen::arbitrary<uint8_t>();
    changed |= frame[i] != b;
    frame[i] = b;
  }
  RC_PRE(changed);
  RC_ASSERT(DecodeChunk(frame).status().IsCorruption());
}

}  // namespace
}  // namespace shardstore
