#include "util/checksum.h"

#include <xxh3.h>

namespace shardstore {

uint64_t Checksum(ByteView bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

}  // namespace shardstore
