// LsmMetadata: the set of live runs of the LSM index, by level — the payload of the
// kIndexMetadata chunk that the superblock's index root names.
//
// Each run is described by its id, level, entry count, the highest sequence it holds and the
// locators of its chunks (in part order). The grammar is in docs/format/lsm.md. The decoder
// treats its input as hostile.
//
// Thread-safety: values and pure functions.
#pragma once

#include <cstdint>
#include <vector>

#include "shardstore/locator.h"
#include "shardstore/status.h"
#include "shardstore/types.h"

namespace shardstore {

inline constexpr uint32_t kMetadataMagic = 0x3141544d;  // "MTA1"
inline constexpr uint32_t kRunsMax = 1024;
inline constexpr uint32_t kRunChunksMax = 1u << 16;

struct RunDescriptor {
  uint64_t id = 0;  // unique, increasing: a higher id is a newer run
  uint32_t level = 0;
  uint32_t entry_count = 0;
  uint64_t max_sequence = 0;
  std::vector<Locator> chunks;
  friend bool operator==(const RunDescriptor&, const RunDescriptor&) = default;
};

struct LsmMetadata {
  uint64_t version = 0;  // increases with every metadata write
  uint64_t next_run_id = 1;
  std::vector<RunDescriptor> runs;  // newest first
  friend bool operator==(const LsmMetadata&, const LsmMetadata&) = default;
};

Bytes EncodeLsmMetadata(const LsmMetadata& metadata);
StatusOr<LsmMetadata> DecodeLsmMetadata(ByteView bytes);

}  // namespace shardstore
