// Checksums of on-disk bytes: XXH3 64-bit.
#pragma once

#include <cstdint>

#include "shardstore/types.h"

namespace shardstore {

uint64_t Checksum(ByteView bytes);
// The checksum of `first` followed by `second`, without joining them.
uint64_t Checksum(ByteView first, ByteView second);

}  // namespace shardstore
