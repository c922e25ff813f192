// Decodes arbitrary bytes as an LSM run and as LSM metadata (the payloads of kIndexRun and
// kIndexMetadata chunks). Never crashes; whatever is accepted re-encodes to itself.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "fuzz_common.h"
#include "index/lsm_metadata.h"
#include "index/run_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shardstore;
  const ByteView bytes(data, size);
  auto run = DecodeRun(bytes);
  FUZZ_CHECK(run.ok() || run.status().IsCorruption());
  if (run.ok()) {
    const Bytes again = EncodeRun(*run);
    FUZZ_CHECK(again.size() == size && std::equal(again.begin(), again.end(), data));
  }
  auto metadata = DecodeLsmMetadata(bytes);
  FUZZ_CHECK(metadata.ok() || metadata.status().IsCorruption());
  if (metadata.ok()) {
    const Bytes again = EncodeLsmMetadata(*metadata);
    FUZZ_CHECK(again.size() == size && std::equal(again.begin(), again.end(), data));
  }
  return 0;
}
