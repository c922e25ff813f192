// A small real engine image built deterministically, for the recovery fuzz target and the seed
// corpora: formatted, with single- and multi-chunk values, overwrites and a delete, shut down
// cleanly, then a few more puts left half-persisted by a crash.
#pragma once

#include <map>
#include <set>
#include <string>

#include "shardstore/disk.h"
#include "shardstore/limits.h"
#include "shardstore/sim/mem_disk.h"

namespace shardstore::fuzz {

inline constexpr DiskGeometry kImageGeometry{12, 16 * kPageBytes};
inline constexpr uint32_t kImageChunkPayloadBytes = 8 * 1024;

struct BaseImage {
  std::vector<Bytes> extents;                      // durable bytes, one buffer per extent
  std::map<std::string, std::set<Bytes>> history;  // every value ever put, per key
};

// Built once, on first use.
const BaseImage& GetBaseImage();

// Copies `image` into `disk` (durable).
void LoadImage(const std::vector<Bytes>& image, MemDisk* disk);

}  // namespace shardstore::fuzz
