// Seeded-bug sites: where the engine can be made to misbehave on purpose, to prove the checkers.
//
// A site reads
//
//   if (SS_SEEDED_BUG(kCacheNotDrainedAfterReset)) ...
//
// In a checked build (SHARDSTORE_SEEDED_BUGS) it tests the switch that the simulation library's
// seeded::SetActive turns (shardstore/sim/seeded_bug.h, header only here: the engine does not
// link the simulation library). In any other build it is the constant false, and the product
// carries neither the switch nor the bugs' names.
//
// Thread-safety: the switch is a relaxed atomic, set before a run starts.
#pragma once

#if defined(SHARDSTORE_SEEDED_BUGS) && SHARDSTORE_SEEDED_BUGS
#include "shardstore/sim/seeded_bug.h"

#define SS_SEEDED_BUG(name) (::shardstore::seeded::Active() == ::shardstore::seeded::Bug::name)
#else
#define SS_SEEDED_BUG(name) false
#endif
