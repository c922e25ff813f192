// IndexModel: the reference model of the LSM index — key → the locators of its value's chunks.
// A delete removes the key: whether the index keeps a tombstone or has compacted it away, a
// lookup must find no value.
#pragma once

#include <string>
#include <vector>

#include "shardstore/locator.h"
#include "shardstore/models/map_model.h"

namespace shardstore::models {

using IndexModel = MapModel<std::string, std::vector<Locator>>;

}  // namespace shardstore::models
