// IndexModel: the reference model of the LSM index — key → the locators of its value's chunks.
// A delete erases the key: whether the index keeps a tombstone or has compacted it away, a
// lookup must find no value.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "shardstore/locator.h"

namespace shardstore::models {

using IndexModel = std::map<std::string, std::vector<Locator>>;

}  // namespace shardstore::models
