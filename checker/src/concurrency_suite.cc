#include "shardstore/checker/concurrency_suite.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "shardstore/checker/store_concurrency.h"

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

SuiteOutput RunConcurrencySuite(const ConcurrencySuiteArgs& args) {
  SuiteOutput output;
  auto usage = [&](const std::string& message) {
    output.human = "shardcheck: " + message + "\n";
    output.exit_code = kExitUsage;
    return output;
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
  if (args.as_json) {
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
             {"harnesses", runs}};
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
    output.json = out.dump();
  }
  output.human = human.str();
  output.exit_code = failures.empty() ? 0 : kExitViolation;
  return output;
}

}  // namespace shardstore::checker
