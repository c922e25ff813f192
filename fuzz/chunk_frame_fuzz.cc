// Decodes arbitrary bytes as a chunk frame. Never crashes; an accepted frame is self-consistent
// and survives a re-encode unchanged.
#include <cstddef>
#include <cstdint>

#include "chunk/chunk_format.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const shardstore::ByteView bytes(data, size);
  auto header = shardstore::DecodeChunkHeader(bytes);
  auto chunk = shardstore::DecodeChunk(bytes);
  FUZZ_CHECK(header.ok() || header.status().IsCorruption());
  FUZZ_CHECK(chunk.ok() || chunk.status().IsCorruption());
  if (!chunk.ok()) return 0;
  FUZZ_CHECK(header.ok() && *header == chunk->header);
  FUZZ_CHECK(chunk->header.frame_bytes() <= size);
  const shardstore::PageBytes again =
      shardstore::EncodeChunk(chunk->header, chunk->key, chunk->payload);
  auto redecoded = shardstore::DecodeChunk(again);
  FUZZ_CHECK(redecoded.ok());
  FUZZ_CHECK(redecoded->header == chunk->header);
  FUZZ_CHECK(redecoded->key == chunk->key);
  FUZZ_CHECK(shardstore::Bytes(redecoded->payload.begin(), redecoded->payload.end()) ==
             shardstore::Bytes(chunk->payload.begin(), chunk->payload.end()));
  return 0;
}
