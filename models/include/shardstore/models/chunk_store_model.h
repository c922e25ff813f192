// ChunkStoreModel: the reference model of the chunk store — locator → the chunk appended there,
// and what a crash may leave (see CrashHistory). The store chooses locators; a harness records
// each one as the store returns it. A Reset writes absence to every locator of its extent.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shardstore/locator.h"
#include "shardstore/models/crash_history.h"

namespace shardstore::models {

struct Chunk {
  std::string key;
  std::vector<uint8_t> payload;
  friend bool operator==(const Chunk&, const Chunk&) = default;
};

using ChunkStoreModel = CrashHistory<Locator, Chunk>;

}  // namespace shardstore::models
