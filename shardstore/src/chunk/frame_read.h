// Reading a frame's bytes straight from a Disk, outside the chunk store (recovery's chain walk,
// salvage): a disk is read in whole pages, and a frame (format version 3) may begin and end
// inside one, sharing it with others.
//
// Thread-safety: as the Disk it reads.
#pragma once

#include <cstdint>

#include "shardstore/disk.h"
#include "shardstore/status.h"
#include "shardstore/types.h"

namespace shardstore {

// Reads the pages [offset, offset + bytes) of `extent` lies in into `*pages` (grown as needed)
// and returns the view of [offset, offset + bytes) in it. REQUIRES: the pages lie in the extent.
StatusOr<ByteView> ReadSpan(Disk* disk, uint32_t extent, uint32_t offset, uint32_t bytes,
                            Bytes* pages);

}  // namespace shardstore
