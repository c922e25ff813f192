// KvModel: the reference model of the whole store — key → the bytes of its value. Put, Delete,
// Get and List mean what they mean on the Store.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shardstore/models/map_model.h"

namespace shardstore::models {

using KvModel = MapModel<std::string, std::vector<uint8_t>>;

}  // namespace shardstore::models
