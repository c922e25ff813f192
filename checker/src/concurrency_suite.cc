#include "shardstore/checker/concurrency_suite.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "shardstore/checker/concurrency_finding.h"
#include "shardstore/checker/store_concurrency.h"
#include "shardstore/sim/coverage.h"

namespace shardstore::checker {
namespace {

using nlohmann::json;

constexpr int kExitViolation = 1;
constexpr int kExitUsage = 2;

// One search of a harness's body with the chosen strategy.
ConcurrencyReport SearchHarness(const Body& body, const ConcurrencySuiteArgs& args, uint64_t count,
                                uint64_t batch_seed, const CheckOptions& options) {
  if (!args.schedule.empty()) return checker::Replay(body, args.schedule, options);
  if (args.strategy == "portfolio") return CheckPortfolio(body, count, batch_seed, options);
  if (args.strategy == "pct") return CheckPct(body, count, args.depth, batch_seed, options);
  if (args.strategy == "dfs") return CheckDfs(body, args.depth, count, options);
  if (args.strategy == "ipb") return CheckIterativeDfs(body, args.depth, count, options);
  if (args.strategy == "delay") return CheckDelayBounded(body, args.depth, count, options);
  return CheckRandom(body, count, batch_seed, options);
}

}  // namespace

ConcurrencySuiteResult RunConcurrencySuite(const ConcurrencySuiteArgs& args) {
  ConcurrencySuiteResult result;
  SuiteOutput& output = result.output;
  auto usage = [&](const std::string& message) {
    output.human = "shardcheck: " + message + "\n";
    output.exit_code = kExitUsage;
    return result;
  };
  const seeded::Bug bug = args.bug;
  const std::string& strategy = args.strategy;
  if (strategy != "portfolio" && strategy != "random" && strategy != "pct" && strategy != "dfs" &&
      strategy != "ipb" && strategy != "delay") {
    return usage("unknown strategy '" + strategy + "' (portfolio, random, pct, dfs, ipb or delay)");
  }
  std::optional<double> budget;
  if (args.time_budget_seconds > 0) budget = args.time_budget_seconds;
  std::vector<StoreWorkload> workloads;
  if (args.harness == "all") {
    workloads.assign(AllStoreWorkloads().begin(), AllStoreWorkloads().end());
  } else if (auto workload = FindStoreWorkload(args.harness)) {
    workloads = {*workload};
  } else {
    return usage("unknown harness '" + args.harness +
                 "' (clients, reclaim-compact, list-delete, readers-reset, durable-flush, "
                 "chunk-flush or all)");
  }
  if (!args.schedule.empty()) {
    if (const std::optional<std::string> error = ScheduleError(args.schedule)) {
      return usage("not a schedule (" + *error + "): " + args.schedule);
    }
    if (workloads.size() != 1) {
      return usage("--schedule replays one harness; name it with --harness");
    }
  }
  const seeded::Scope scope(bug);
  const std::map<std::string, uint64_t> coverage_before = coverage::Snapshot();
  std::ostringstream human;
  // The harnesses take turns in batches, so a bug only one of them reaches is found as soon as
  // that one has had its share. The systematic searches and a replay run each harness whole.
  const bool systematic = strategy == "dfs" || strategy == "ipb" || strategy == "delay";
  const bool batched = args.schedule.empty() && !systematic;
  const uint64_t per_harness = args.iterations;
  const uint64_t program_seed = args.program_seed.value_or(args.seed);
  const uint64_t batch = batched ? std::min<uint64_t>(per_harness, 1000) : per_harness;
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  struct Tally {
    uint64_t schedules = 0;
    uint64_t steps = 0;
    double seconds = 0;
    bool done = false;       // its share ran, or its search has no more schedules
    bool exhausted = false;  // a systematic search ran every schedule within its bound
  };
  std::vector<Tally> tallies(workloads.size());
  std::vector<std::pair<StoreWorkload, FoundFailure>> failures;  // one per harness and kind
  bool stop = false, budget_spent = false;
  for (uint64_t round = 0; !stop; ++round) {
    bool ran = false;
    for (size_t w = 0; w < workloads.size() && !stop; ++w) {
      Tally& tally = tallies[w];
      if (tally.done || tally.schedules >= per_harness) continue;
      CheckOptions options;
      options.stop_at_first = args.stop_at_first;
      if (budget) {
        if (elapsed() >= *budget) {
          budget_spent = stop = true;
          break;
        }
        options.time_budget_seconds = *budget - elapsed();
      }
      ran = true;
      // Each batch is its own seeded search; the run stays a function of (seed, commit).
      const uint64_t batch_seed = args.seed + round * 1'000'003;
      const ConcurrencyReport report =
          SearchHarness(StoreConcurrencyBody(workloads[w], program_seed), args,
                        std::min(batch, per_harness - tally.schedules), batch_seed, options);
      tally.schedules += report.schedules;
      tally.steps += report.steps_total;
      tally.seconds += report.seconds;
      tally.exhausted = report.exhausted;
      tally.done = report.exhausted || !batched;
      for (const FoundFailure& found : report.failures) {
        const bool known = std::any_of(failures.begin(), failures.end(), [&](const auto& f) {
          return f.first == workloads[w] && f.second.failure.kind == found.failure.kind;
        });
        if (!known) failures.emplace_back(workloads[w], found);
        if (args.stop_at_first || found.failure.kind != FailureKind::kLivelock) stop = true;
      }
      // A harness that livelocked keeps its share; it is done only when its batches run out.
    }
    if (!ran) break;
  }
  std::stable_sort(failures.begin(), failures.end(), [](const auto& a, const auto& b) {
    return a.second.failure.kind != FailureKind::kLivelock &&
           b.second.failure.kind == FailureKind::kLivelock;
  });
  auto replay_of = [&](const std::pair<StoreWorkload, FoundFailure>& f) {
    return "shardcheck concurrency --harness " + std::string(StoreWorkloadName(f.first)) +
           " --program-seed " + std::to_string(program_seed) +
           (bug == seeded::Bug::kNone ? "" : " --bug " + std::string(seeded::BugName(bug))) +
           " --schedule '" + f.second.minimized + "'";
  };
  json runs = json::array();
  uint64_t schedules = 0, steps = 0;
  double seconds = 0;
  const std::string searched = args.schedule.empty() ? strategy : "replay";
  for (size_t w = 0; w < workloads.size(); ++w) {
    const std::string name(StoreWorkloadName(workloads[w]));
    const Tally& tally = tallies[w];
    human << "concurrency[" << name << "] seed " << args.seed << ": " << searched << ": "
          << tally.schedules << " schedules, " << tally.steps << " steps"
          << (tally.exhausted ? " (every one within the bound)" : "");
    std::string result = "pass";
    for (const auto& [workload, found] : failures) {
      if (workload != workloads[w]) continue;
      if (result == "pass") result = std::string(FailureKindName(found.failure.kind));
      human << "\n  " << found.failure.ToString() << "\n  found by " << found.strategy
            << " at schedule " << found.schedule_index << ": " << found.steps << " steps, "
            << found.preemptions << " preemptions; minimized: " << found.minimized_steps
            << " steps, " << found.minimized_preemptions << " preemptions";
    }
    human << (result == "pass" ? ", no failure" : "") << "\n";
    schedules += tally.schedules;
    steps += tally.steps;
    seconds += tally.seconds;
    runs.push_back({{"harness", name},
                    {"schedules", tally.schedules},
                    {"steps", tally.steps},
                    {"seconds", tally.seconds},
                    {"exhausted", tally.exhausted},
                    {"result", result == "pass" ? "pass" : "violation"}});
  }
  if (budget_spent) human << "the time budget (" << *budget << " s) ran out\n";
  for (const auto& failure : failures) human << "replay: " << replay_of(failure) << "\n";
  SummaryRecord& summary = result.summary;
  summary.suite = "concurrency";
  summary.campaign_seed = args.seed;
  summary.bug = std::string(seeded::BugName(bug));
  summary.build = ThisBuild();
  summary.iterations = per_harness;
  summary.time_budget_seconds = args.time_budget_seconds;
  summary.stopped_by = budget_spent ? "time-budget" : failures.empty() ? "iterations" : "finding";
  summary.seconds = elapsed();
  for (const auto& [path, hits] : coverage_before) summary.path_coverage[path];
  for (const auto& [path, hits] : coverage::Delta(coverage_before, coverage::Snapshot())) {
    summary.path_coverage[path] += hits;
  }
  for (size_t w = 0; w < workloads.size(); ++w) {
    HarnessTotals& totals = summary.harnesses[std::string(StoreWorkloadName(workloads[w]))];
    totals.sequences = tallies[w].schedules;
    totals.steps = tallies[w].steps;
    totals.seconds = tallies[w].seconds;
  }
  for (const auto& [workload, found] : failures) {
    FindingRecord base;
    base.suite = "concurrency";
    base.harness = std::string(StoreWorkloadName(workload));
    base.campaign_seed = args.seed;
    base.sequence = found.schedule_index - 1;
    base.bug = summary.bug;
    base.build = summary.build;
    result.findings.push_back(ConcurrencyFinding(std::move(base), workload, program_seed, found));
    result.findings.back().found_after_sequences = found.schedule_index;
    ++summary.harnesses[result.findings.back().harness].findings;
  }
  summary.findings = result.findings.size();
  {
    json out{{"suite", "concurrency"},
             {"result", failures.empty() ? "pass" : "violation"},
             {"seed", args.seed},
             {"iterations", schedules},
             {"steps", steps},
             {"seconds", seconds},
             {"budget_spent", budget_spent},
             {"strategy", failures.empty() ? strategy : failures.front().second.strategy},
             {"bug",
              bug == seeded::Bug::kNone ? json(nullptr) : json(std::string(seeded::BugName(bug)))},
             {"harnesses", runs},
             {"shard", summary.shard.ToString()},
             {"summary", ToJson(summary)}};
    json records = json::array();
    for (const FindingRecord& f : result.findings) records.push_back(ToJson(f));
    out["findings"] = records;
    json found = json::array();
    for (const auto& failure : failures) {
      const FoundFailure& f = failure.second;
      found.push_back(
          {{"harness", StoreWorkloadName(failure.first)},
           {"kind", FailureKindName(f.failure.kind)},
           {"violation", f.failure.message},
           {"strategy", f.strategy},
           {"schedule", f.minimized},
           {"unusual_choices", f.unusual},
           {"steps", {{"found", f.steps}, {"minimized", f.minimized_steps}}},
           {"preemptions", {{"found", f.preemptions}, {"minimized", f.minimized_preemptions}}},
           {"replay", replay_of(failure)}});
    }
    out["failures"] = found;
    if (failures.empty()) {
      out["schedule"] = nullptr;
      out["replay"] = nullptr;
    } else {
      // The first (most telling) failure, flat, as before.
      const json& first = found.front();
      for (const char* key :
           {"harness", "kind", "violation", "schedule", "steps", "preemptions", "replay"}) {
        out[key] = first[key];
      }
    }
    if (args.as_json) output.json = out.dump();
    result.document = std::move(out);
  }
  output.human = human.str();
  output.exit_code = failures.empty() ? 0 : kExitViolation;
  return result;
}

}  // namespace shardstore::checker
