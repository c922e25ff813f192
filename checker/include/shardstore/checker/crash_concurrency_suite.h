// The crash-concurrency suite as `shardcheck crash-concurrency` runs it, and the replay of its
// tokens: searches, reports (readable text and one JSON object) and exit codes. The tool's main
// parses flags and prints what these return.
//
//   shardcheck crash-concurrency [--iterations N] [--seed S] [--bug NAME] [--json]
//       [--harness clients|reclaim-compact|chunk-writers|all] [--strategy portfolio|random|pct|dfs]
//       [--depth D] [--time-budget 10m]
//   shardcheck replay sx1:...
//
// The harnesses take turns in batches of 1,000 schedules (each batch its own seeded search, so
// the run stays a function of (seed, commit)); the first violation ends the run, minimized,
// with its replay token. Exit status: 0 no violation, 1 a violation, 2 bad usage (the tool
// checks flags; a token that does not parse is usage too).
//
// Thread-safety: one at a time (seeded bugs are process-wide).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "shardstore/checker/crash_concurrency.h"
#include "shardstore/checker/suite_output.h"
#include "shardstore/sim/seeded_bug.h"

namespace shardstore::checker {

struct CrashConcurrencyArgs {
  uint64_t iterations = 1000;  // schedules per harness
  uint64_t seed = 1;
  std::string strategy = "portfolio";
  uint32_t depth = 3;
  seeded::Bug bug = seeded::Bug::kNone;
  std::string harness = "all";
  double time_budget_seconds = 0;  // 0: none
  bool as_json = false;
};

SuiteOutput RunCrashConcurrencySuite(const CrashConcurrencyArgs& args);
SuiteOutput ReplayCrashConcurrency(std::string_view token, bool as_json);

// A case's program as steps a person reads, a line per thread: "  thread 0: Put(a, 4000 bytes)
// Get(b)".
std::string DescribeJointProgram(const JointCase& c);

}  // namespace shardstore::checker
