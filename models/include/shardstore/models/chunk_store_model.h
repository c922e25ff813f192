// ChunkStoreModel: the reference model of the chunk store — locator → the chunk (key and
// payload) appended there. The store chooses locators; a harness records each one as the store
// returns it. A read must return the chunk last appended at its locator, or nothing if the
// extent was reset since (ResetExtent).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shardstore/locator.h"
#include "shardstore/models/map_model.h"

namespace shardstore::models {

struct Chunk {
  std::string key;
  std::vector<uint8_t> payload;
  friend bool operator==(const Chunk&, const Chunk&) = default;
};

using ChunkStoreModel = MapModel<Locator, Chunk>;

inline void ResetExtent(ChunkStoreModel& model, uint32_t extent) {
  model.EraseIf([&](const Locator& at, const Chunk&) { return at.extent == extent; });
}

}  // namespace shardstore::models
