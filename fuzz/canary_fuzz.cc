// A planted crash: proves the fuzzing set-up finds and reports crashes. Kept out of CI; run it
// with ci/fuzz-canary.sh, which passes when libFuzzer finds the crash.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "chunk/chunk_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A "decoder" that trusts a length field from disk — the bug every real decoder must avoid.
  if (size >= 8 && std::memcmp(data, "shrd", 4) == 0) {
    const uint32_t claimed = data[4] | (uint32_t{data[5]} << 8);
    volatile uint8_t sink = 0;
    for (uint32_t i = 0; i < claimed; ++i) sink = sink + data[8 + i];  // reads past the input
    (void)sink;
  }
  return 0;
}
