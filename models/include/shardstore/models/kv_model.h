// KvModel: the reference model of the whole store — key → value, and what a crash may leave
// (see CrashHistory). Puts write a value, Deletes its absence.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shardstore/models/crash_history.h"

namespace shardstore::models {

using KvModel = CrashHistory<std::string, std::vector<uint8_t>>;

}  // namespace shardstore::models
