// ChunkStoreModel: the reference model of the chunk store — a map from locator to the chunk
// (key and payload) appended there, emptied extent by extent on reset.
//
// The store chooses locators; a harness records each one here as the store returns it. The
// model answers what a read at a locator must return: the chunk last appended there, or nothing
// (the extent was reset since), in which case the store must not return bytes.
//
// Thread-safety: a value; not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "shardstore/locator.h"

namespace shardstore::models {

class ChunkStoreModel {
 public:
  struct Chunk {
    std::string key;
    std::vector<uint8_t> payload;
    friend bool operator==(const Chunk&, const Chunk&) = default;
  };

  // False when `locator` overlaps a chunk that is still there: appends never overwrite.
  bool Append(const Locator& locator, Chunk chunk) {
    for (const auto& [at, existing] : chunks_) {
      if (at.extent == locator.extent && at.offset < locator.end() && locator.offset < at.end()) {
        return false;
      }
    }
    chunks_[locator] = std::move(chunk);
    return true;
  }

  std::optional<Chunk> Read(const Locator& locator) const {
    auto it = chunks_.find(locator);
    if (it == chunks_.end()) return std::nullopt;
    return it->second;
  }

  void ResetExtent(uint32_t extent) {
    std::erase_if(chunks_, [&](const auto& item) { return item.first.extent == extent; });
  }

  // Extents that hold at least one chunk, ascending.
  std::vector<uint32_t> Extents() const {
    std::vector<uint32_t> extents;
    for (const auto& [at, chunk] : chunks_) {
      if (extents.empty() || extents.back() != at.extent) extents.push_back(at.extent);
    }
    return extents;
  }

 private:
  std::map<Locator, Chunk> chunks_;
};

}  // namespace shardstore::models
