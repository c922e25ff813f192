// ChunkStoreModel: the reference model of the chunk store — locator → the chunk appended there.
// The store chooses locators; a harness records each one as the store returns it. A read must
// return the chunk last appended at its locator, or nothing once its extent was reset (the
// harness erases the extent's chunks).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "shardstore/locator.h"

namespace shardstore::models {

struct Chunk {
  std::string key;
  std::vector<uint8_t> payload;
};

using ChunkStoreModel = std::map<Locator, Chunk>;

}  // namespace shardstore::models
