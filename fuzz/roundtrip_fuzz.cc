// Round trips of structured inputs: decode(encode(x)) == x for chunk frames and superblocks
// built from the fuzzer's bytes.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>

#include "chunk/chunk_format.h"
#include "fuzz_common.h"
#include "shardstore/limits.h"
#include "superblock/superblock.h"

namespace {

using namespace shardstore;

void ChunkRoundTrip(FuzzedDataProvider& in) {
  ChunkHeader header;
  header.kind = static_cast<ChunkKind>(in.ConsumeIntegralInRange<uint8_t>(1, kChunkKindMax));
  header.sequence = in.ConsumeIntegral<uint64_t>();
  header.part_count = in.ConsumeIntegralInRange<uint32_t>(1, kChunkPartsMax);
  header.part_index = in.ConsumeIntegralInRange<uint32_t>(0, header.part_count - 1);
  for (uint8_t& b : header.uuid) b = in.ConsumeIntegral<uint8_t>();
  const std::string key = in.ConsumeRandomLengthString(kKeyBytesMax);
  const Bytes payload =
      in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, 3 * kPageBytes));
  const PageBytes frame = EncodeChunk(header, key, payload);
  auto decoded = DecodeChunk(frame);
  FUZZ_CHECK(decoded.ok());
  header.key_bytes = static_cast<uint32_t>(key.size());
  header.payload_bytes = static_cast<uint32_t>(payload.size());
  FUZZ_CHECK(decoded->header == header);
  FUZZ_CHECK(decoded->key == key);
  FUZZ_CHECK(Bytes(decoded->payload.begin(), decoded->payload.end()) == payload);
}

void SuperblockRoundTrip(FuzzedDataProvider& in) {
  Label label;
  label.geometry = {in.ConsumeIntegralInRange<uint32_t>(2, 300), 64 * kPageBytes};
  for (uint8_t& b : label.disk_uuid) b = in.ConsumeIntegral<uint8_t>();
  Superblock sb;
  sb.disk_uuid = label.disk_uuid;
  sb.geometry = label.geometry;
  sb.sequence = in.ConsumeIntegral<uint64_t>();
  sb.next_chunk_sequence = in.ConsumeIntegral<uint64_t>();
  sb.extents.resize(label.geometry.extent_count);
  sb.extents[0].owner = ExtentOwner::kSuperblock;
  for (uint32_t e = 1; e < label.geometry.extent_count; ++e) {
    const auto owner =
        static_cast<ExtentOwner>(in.ConsumeIntegralInRange<uint8_t>(0, kExtentOwnerMax));
    if (owner == ExtentOwner::kSuperblock || owner == ExtentOwner::kFree) continue;
    sb.extents[e] = {owner, in.ConsumeIntegralInRange<uint32_t>(0, 64) * kPageBytes};
  }
  const uint32_t root_extent =
      in.ConsumeIntegralInRange<uint32_t>(1, label.geometry.extent_count - 1);
  const uint32_t root_pages = sb.extents[root_extent].write_pointer / kPageBytes;
  if (root_pages > 0 && in.ConsumeBool()) {
    const uint32_t length = in.ConsumeIntegralInRange<uint32_t>(1, root_pages);
    const uint32_t offset = in.ConsumeIntegralInRange<uint32_t>(0, root_pages - length);
    sb.index_root = Locator{root_extent, offset * kPageBytes, length * kPageBytes};
  }
  auto decoded = DecodeSuperblock(EncodeSuperblock(sb), label);
  FUZZ_CHECK(decoded.ok());
  FUZZ_CHECK(*decoded == sb);
  auto label_again = DecodeLabel(EncodeLabel(label));
  FUZZ_CHECK(label_again.ok() && *label_again == label);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  if (in.ConsumeBool()) {
    ChunkRoundTrip(in);
  } else {
    SuperblockRoundTrip(in);
  }
  return 0;
}
