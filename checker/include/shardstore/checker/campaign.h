// Campaign: one shard of a suite (conformance, crash, concurrency or crash-concurrency) run to a
// budget.
//
// The suite's harnesses take turns block by block (shard.h): for each block the shard owns, each
// harness still running gets that block's sequences (or schedules), so a bug that only one
// harness reaches is found within that harness's share of any budget. The run ends at the
// iteration count (per harness, over every shard of the campaign), at the time budget, or at
// the first finding (a concurrency livelock excepted, as concurrency_check.h explains). The time
// budget only decides when to stop; what each sequence does never depends on the clock, and the
// summary records that the budget stopped the run.
//
// Concurrency and crash-concurrency run one program per block under that block's schedules (a
// seeded search of its own). Crash-concurrency's dfs is a systematic search of the campaign
// seed's program, whole: it runs in one shard (index 0) as a single search per harness.
//
// The result is the shard's records (results.h): its findings and its summary.
//
// Thread-safety: one campaign at a time per process (seeded bugs and coverage are global).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shardstore/checker/results.h"
#include "shardstore/checker/shard.h"
#include "shardstore/sim/seeded_bug.h"

namespace shardstore::checker {

enum class Suite : uint8_t { kConformance, kCrash, kConcurrency, kCrashConcurrency };
std::string_view SuiteName(Suite suite);
std::optional<Suite> ParseSuite(std::string_view name);

// The suite's harnesses: `name` one of them or "all". nullopt for a name the suite lacks.
std::optional<std::vector<std::string>> SuiteHarnesses(Suite suite, std::string_view name);
// Concurrency and crash-concurrency: a run is schedules of programs, counted in steps.
bool IsScheduledSuite(std::string_view suite);
// "store, index, chunk or all", for a usage message.
std::string SuiteHarnessChoices(Suite suite);

struct CampaignOptions {
  Suite suite = Suite::kConformance;
  uint64_t seed = 1;  // the campaign seed
  Shard shard;
  uint64_t iterations = 1000;  // per harness, over every shard; 0: no limit
  // Run only this sequence of each harness's stream (a finding's replay when it has no token).
  std::optional<uint64_t> sequence;
  double time_budget_seconds = 0;  // 0: none
  seeded::Bug bug = seeded::Bug::kNone;
  std::vector<std::string> harnesses;     // from SuiteHarnesses
  int max_ops = 50;                       // conformance and crash
  // concurrency: random, pct or portfolio; crash-concurrency: those or dfs
  std::string strategy = "portfolio";
  uint32_t depth = 3;                     // pct's depth; dfs: the preemption bound
  bool stop_at_first = false;             // concurrency: a livelock ends the run too
  uint32_t determinism_check_every = 20;  // 0: never
  bool swarm = false;    // conformance and crash: each block draws its op subset (swarm.h)
  bool minimize = true;  // conformance, crash, crash-concurrency: off reports failures unshrunk
  // Go on past findings: each harness runs its whole share; a failure like one this shard
  // already found (same harness, same normalized violation) is counted as a repeat, unshrunk.
  bool keep_going = false;
  // Called after each sequence (schedule: after each block) with the shard's count so far.
  std::function<void(uint64_t done)> on_progress;
};

struct CampaignReport {
  SummaryRecord summary;
  std::vector<FindingRecord> findings;
  std::string error;  // the checker could not run (not a finding)
};

// Runs the shard; `on_finding` (may be empty) sees each finding as soon as it is minimized.
CampaignReport RunCampaign(const CampaignOptions& options,
                           const std::function<void(const FindingRecord&)>& on_finding = {});

}  // namespace shardstore::checker
