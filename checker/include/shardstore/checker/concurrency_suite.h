// The store's concurrency harnesses run whole in one process: every harness (or the one named)
// searched under the deterministic scheduler, the report (readable text and one JSON object)
// built, and the exit code decided. `shardcheck concurrency` runs its systematic strategies
// (dfs, ipb, delay) and its --schedule replays this way (random, pct and portfolio go through
// the sharded campaign, campaign.h); the tool's main parses flags and prints the result.
//
// Random, pct and portfolio searches take turns in batches of at most 1,000 schedules per
// harness, each batch its own seeded search, so a bug only one harness reaches is found as soon
// as that harness has had its share, and the run stays a function of (seed, commit). A livelock
// does not end the run (unless stop_at_first): the other harnesses, and later batches of the
// same one, may still find a real bug; every distinct kind of failure found is reported,
// livelocks last.
//
// Each failure is also a finding record (results.h, built by concurrency_finding.h as the
// sharded campaign builds it) and the run a summary record, so `--report`, `--junit` and the
// `--json` object's "findings" and "summary" are those of the campaign path.
//
// Thread-safety: one at a time (seeded bugs are process-wide).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "shardstore/checker/results.h"
#include "shardstore/checker/suite_output.h"
#include "shardstore/sim/seeded_bug.h"

namespace shardstore::checker {

struct ConcurrencySuiteArgs {
  uint64_t iterations = 1000;  // schedules per harness
  uint64_t seed = 1;
  seeded::Bug bug = seeded::Bug::kNone;
  std::string harness = "all";
  std::string strategy = "portfolio";  // portfolio, random, pct, dfs, ipb or delay
  uint32_t depth = 3;
  std::string schedule;                  // replay this one schedule (one harness)
  std::optional<uint64_t> program_seed;  // default: seed
  bool stop_at_first = false;
  double time_budget_seconds = 0;  // 0: none
  bool as_json = false;
};

struct ConcurrencySuiteResult {
  SuiteOutput output;
  SummaryRecord summary;
  std::vector<FindingRecord> findings;  // one per harness and kind of failure, livelocks last
  nlohmann::json document;              // what --json prints (output.json holds it dumped)
};

// Exit code 2 (the message in `output.human`, no records) for an unknown strategy or harness, a
// malformed schedule, or a schedule without one harness named.
ConcurrencySuiteResult RunConcurrencySuite(const ConcurrencySuiteArgs& args);

}  // namespace shardstore::checker
