// Coverage points on engine paths: SS_COVERAGE_POINT(id, "what happened") at namespace scope,
// SS_COVER(id) at the site (shardstore/sim/coverage.h explains them).
//
// In a checked build (SHARDSTORE_COVERAGE) they are the simulation library's points (header
// only here: the engine does not link the simulation library), counted and listed by a checker
// run. In any other build both compile to nothing, and the product carries no registry.
//
// Thread-safety: thread-safe.
#pragma once

#if defined(SHARDSTORE_COVERAGE) && SHARDSTORE_COVERAGE
#include "shardstore/sim/coverage.h"
#else
#define SS_COVERAGE_POINT(id, name) static_assert(sizeof(name) > 1, "a coverage point is named")
#define SS_COVER(id) static_cast<void>(0)
#endif
