// IndexEntry: what the LSM index holds for one shard key — the newest version's sequence and
// either the locators of its chunks (one per part) or a tombstone.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "shardstore/locator.h"

namespace shardstore {

struct IndexEntry {
  uint64_t sequence = 0;
  bool tombstone = false;
  std::vector<Locator> parts;  // empty for a tombstone

  friend bool operator==(const IndexEntry&, const IndexEntry&) = default;
};

// A sorted run's contents: keys strictly ascending.
using RunEntries = std::vector<std::pair<std::string, IndexEntry>>;

}  // namespace shardstore
