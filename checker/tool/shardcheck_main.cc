// shardcheck: the checkers' command line.
//
//   shardcheck conformance [--iterations N] [--seed S] [--bug NAME] [--harness H] [--json]
//   shardcheck crash [--iterations N] [--seed S] [--bug NAME] [--harness chunk|store|all] [--json]
//   shardcheck replay TOKEN [--json]
//   shardcheck bugs [--json]
//   shardcheck concurrency [--iterations N] [--seed S]
//                          [--strategy portfolio|random|pct|dfs|ipb|delay] [--depth D]
//                          [--harness clients|reclaim-compact|list-delete|readers-reset|all] [--bug
//                          NAME]
//                          [--schedule SCHED] [--time-budget 10m] [--stop-at-first] [--json]
//   shardcheck crash-concurrency [--iterations N] [--seed S] [--bug NAME] [--json]
//                          [--harness clients|reclaim-compact|chunk-writers|all]
//                          [--strategy portfolio|random|pct|dfs] [--depth D] [--time-budget 10m]
//   shardcheck linearize FILE --model register|kv [--lenient] [--time-budget 60s]
//                        [--states-max N] [--memory-mib M] [--json]
//
// Exit status: 0 no violation, 1 a violation (minimized case, replay token and GoogleTest
// printed), 2 bad usage or unreadable input, 3 (linearize) unknown: a budget ran out. With --json
// the last thing on stdout is one JSON object and the readable report goes to stderr.
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <utility>

#include "shardstore/assert.h"
#include "shardstore/checker/conformance.h"
#include "shardstore/checker/crash_concurrency_suite.h"
#include "shardstore/checker/linearizability.h"
#include "shardstore/checker/store_concurrency.h"
#include "shardstore/seeded_bug.h"

namespace shardstore::checker {
namespace {

using nlohmann::json;

constexpr int kExitViolation = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnknown = 3;  // linearize: a budget ran out before a verdict

std::string BugName(seeded::Bug bug) {
  for (const seeded::BugInfo& info : seeded::AllBugs()) {
    if (info.bug == bug) return std::string(info.name);
  }
  return "";
}

json OutcomeJson(const Outcome& outcome) {
  return json{{"steps", outcome.steps},
              {"violation", outcome.violation ? json(*outcome.violation) : json(nullptr)}};
}

json ReportJson(const ConformanceReport& report) {
  json ops = json::object();
  for (int k = 0; k < kOpKindCount; ++k) {
    if (report.op_counts[k] > 0)
      ops[std::string(OpKindName(static_cast<OpKind>(k)))] = report.op_counts[k];
  }
  json out{{"harness", HarnessName(report.harness)},
           {"sequences", report.sequences},
           {"ops", report.ops},
           {"search_seconds", report.search_seconds},
           {"crash_states", report.crash_states},
           {"coverage", {{"ops", ops}, {"paths", report.coverage}}}};
  if (report.counterexample) {
    const Counterexample& c = *report.counterexample;
    out["shrunk_ops"] = c.minimized.ops.size();
    out["original_ops"] = c.original_ops;
    out["shrinks"] = c.shrinks;
    out["shrink_seconds"] = report.shrink_seconds;
    // A replay that passes is never printed: null when nothing failed again.
    out["replay"] = c.reproduces() ? json("shardcheck replay " + c.token) : json(nullptr);
    out["token"] = c.reproduces() ? json(c.token) : json(nullptr);
    out["case"] = OutcomeJson(c.replayed);
    out["gtest"] = c.reproduces() ? json(c.gtest) : json(nullptr);
  }
  return out;
}

void PrintCoverage(std::ostream& os, const ConformanceReport& report) {
  os << "  ops:";
  for (int k = 0; k < kOpKindCount; ++k) {
    if (report.op_counts[k] > 0) {
      os << " " << OpKindName(static_cast<OpKind>(k)) << " " << report.op_counts[k];
    }
  }
  os << "\n  engine paths (0 = never reached):\n";
  for (const auto& [path, hits] : report.coverage) {
    char line[32];
    std::snprintf(line, sizeof line, "%10llu  ", static_cast<unsigned long long>(hits));
    os << "    " << line << path << "\n";
  }
}

void PrintReport(std::ostream& os, std::string_view suite, const ConformanceReport& report,
                 seeded::Bug bug) {
  const double seconds = report.search_seconds;
  os << suite << "[" << HarnessName(report.harness) << "] seed " << report.seed;
  if (bug != seeded::Bug::kNone) os << ", seeded bug " << BugName(bug);
  os << ": " << report.sequences << " sequences, " << report.ops << " ops in " << seconds << " s";
  if (seconds > 0) os << " (" << static_cast<uint64_t>(report.sequences / seconds) << " seq/s)";
  os << "\n";
  if (report.crash_states > 0) {
    os << "  crash states recovered and checked: " << report.crash_states;
    if (seconds > 0) os << " (" << static_cast<uint64_t>(report.crash_states / seconds) << "/s)";
    os << "\n";
  }
  if (!report.error.empty()) os << "  " << report.error << "\n";
  PrintCoverage(os, report);
  if (!report.counterexample) return;
  const Counterexample& c = *report.counterexample;
  os << "\nVIOLATION in sequence " << report.sequences << "; minimized from " << c.original_ops
     << " to " << c.minimized.ops.size() << " ops (" << c.shrinks << " shrinks, "
     << report.shrink_seconds << " s):\n"
     << c.replayed.Describe();
  if (!c.reproduces()) {
    // Never print a replay that passes.
    os << "violation in the search: " << c.search_violation
       << "\nno replay: neither the case nor the case under the crash explorer failed again\n";
    return;
  }
  os << "\nreplay: shardcheck replay " << c.token << "\n\nGoogleTest for tests/regress/:\n"
     << c.gtest;
}

int ParseBug(const std::string& name, seeded::Bug* bug) {
  if (name.empty()) return 0;
  const std::optional<seeded::BugInfo> info = seeded::FindBug(name);
  if (!info) {
    std::cerr << "shardcheck: unknown seeded bug '" << name << "' (see `shardcheck bugs`)\n";
    return kExitUsage;
  }
  if (!seeded::CompiledIn()) {
    std::cerr << "shardcheck: this build has no seeded bugs; configure with "
                 "-DSHARDSTORE_SEEDED_BUGS=ON (the debug and release presets do)\n";
    return kExitUsage;
  }
  *bug = info->bug;
  return 0;
}

int Conformance(std::string_view suite, int iterations, uint64_t seed, const std::string& bug_name,
                const std::string& harness_name, int max_ops, bool as_json) {
  seeded::Bug bug = seeded::Bug::kNone;
  if (int rc = ParseBug(bug_name, &bug)) return rc;
  const bool crash = suite == "crash";
  // The crash explorer needs power cuts in the alphabet: the chunk store's and the store's,
  // bottom layer first.
  const std::vector<HarnessKind> all =
      crash ? std::vector{HarnessKind::kChunkStore, HarnessKind::kStore}
            : std::vector{HarnessKind::kStore, HarnessKind::kIndex, HarnessKind::kChunkStore};
  std::vector<HarnessKind> harnesses;
  if (harness_name == "all") {
    harnesses = all;
  } else if (auto kind = ParseHarness(harness_name);
             kind && std::find(all.begin(), all.end(), *kind) != all.end()) {
    harnesses = {*kind};
  } else {
    std::cerr << "shardcheck: unknown harness '" << harness_name << "' ("
              << (crash ? "chunk, store" : "store, index, chunk") << " or all)\n";
    return kExitUsage;
  }
  std::ostream& human = as_json ? std::cerr : std::cout;
  const bool progress = isatty(STDERR_FILENO) != 0;
  json runs = json::array();
  int sequences = 0;
  uint64_t ops = 0;
  uint64_t crash_states = 0;
  double seconds = 0;
  const ConformanceReport* failed = nullptr;
  std::vector<ConformanceReport> reports;
  reports.reserve(harnesses.size());
  for (HarnessKind kind : harnesses) {
    ConformanceOptions options;
    options.harness = kind;
    options.seed = seed;
    options.iterations = iterations;
    options.max_ops = max_ops;
    options.bug = bug;
    if (crash) options.explore_crashes = CrashExploration{};
    if (progress) {
      options.on_progress = [&](int done) {
        if (done % 25 == 0 || done == iterations) {
          std::fprintf(stderr, "\r[%s] %d/%d sequences", std::string(HarnessName(kind)).c_str(),
                       done, iterations);
        }
      };
    }
    reports.push_back(RunConformance(options));
    if (progress) std::fprintf(stderr, "\r\033[K");
    const ConformanceReport& report = reports.back();
    PrintReport(human, suite, report, bug);
    runs.push_back(ReportJson(report));
    sequences += report.sequences;
    ops += report.ops;
    crash_states += report.crash_states;
    seconds += report.search_seconds + report.shrink_seconds;
    if (report.counterexample || !report.error.empty()) {
      failed = &report;
      break;
    }
  }
  const bool violation = failed && failed->counterexample;
  if (as_json) {
    json out{{"suite", suite},
             {"result", violation ? "violation" : failed ? "error" : "pass"},
             {"seed", seed},
             {"iterations", sequences},
             {"ops", ops},
             {"crash_states", crash_states},
             {"seconds", seconds},
             {"bug", bug == seeded::Bug::kNone ? json(nullptr) : json(BugName(bug))},
             {"harnesses", runs}};
    if (violation) {
      const Counterexample& c = *failed->counterexample;
      out["harness"] = HarnessName(failed->harness);
      out["shrunk_ops"] = c.minimized.ops.size();
      out["replay"] = c.reproduces() ? json("shardcheck replay " + c.token) : json(nullptr);
      out["violation"] = c.replayed.violation.value_or(c.search_violation);
    } else {
      out["shrunk_ops"] = nullptr;
      out["replay"] = nullptr;
    }
    std::cout << out.dump() << std::endl;
  }
  if (failed && !violation) return kExitUsage;  // RapidCheck could not run the property
  return violation ? kExitViolation : 0;
}

// Prints what a library suite returned: the report (stderr with --json), the JSON last.
int Print(const SuiteOutput& out, bool as_json) {
  (as_json || out.exit_code == kExitUsage ? std::cerr : std::cout) << out.human;
  if (as_json && !out.json.empty()) std::cout << out.json << std::endl;
  return out.exit_code;
}

int Replay(const std::string& token, bool as_json) {
  if (std::string_view(token).starts_with(kJointTokenPrefix)) {
    return Print(ReplayCrashConcurrency(token, as_json), as_json);
  }
  const StatusOr<Case> c = ParseToken(token);
  if (!c.ok()) {
    std::cerr << "shardcheck: not a valid replay token: " << c.status().message() << "\n";
    return kExitUsage;
  }
  if (c->bug != seeded::Bug::kNone && !seeded::CompiledIn()) {
    std::cerr << "shardcheck: the token needs seeded bug " << BugName(c->bug)
              << ", which this build lacks; configure with -DSHARDSTORE_SEEDED_BUGS=ON\n";
    return kExitUsage;
  }
  const Outcome outcome = RunCase(*c);
  std::ostream& human = as_json ? std::cerr : std::cout;
  human << "replay[" << HarnessName(c->harness) << "]"
        << (c->bug == seeded::Bug::kNone ? "" : " with seeded bug " + BugName(c->bug)) << ", "
        << c->ops.size() << " ops:\n"
        << outcome.Describe() << (outcome.ok() ? "no violation\n" : "");
  if (as_json) {
    json out = OutcomeJson(outcome);
    out["suite"] = "replay";
    out["result"] = outcome.ok() ? "pass" : "violation";
    out["harness"] = HarnessName(c->harness);
    out["replay"] = "shardcheck replay " + token;
    out["shrunk_ops"] = c->ops.size();
    std::cout << out.dump() << std::endl;
  }
  return outcome.ok() ? 0 : kExitViolation;
}

// "90", "90s", "10m", "2h": seconds; nullopt when malformed.
std::optional<double> ParseDuration(const std::string& text) {
  double value = 0;
  size_t used = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const std::string unit = text.substr(used);
  const double scale = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : 0;
  if (scale == 0 || !(value > 0)) return std::nullopt;
  return value * scale;
}

struct ConcurrencyArgs {
  int iterations = 1000;
  uint64_t seed = 1;
  std::string strategy = "portfolio";
  uint32_t depth = 3;
  std::string bug;
  std::string harness = "all";
  std::string schedule;
  std::string time_budget;
  bool stop_at_first = false;
  bool as_json = false;
};

// One search of a harness's body with the chosen strategy.
ConcurrencyReport SearchHarness(const Body& body, const ConcurrencyArgs& args, uint64_t count,
                                uint64_t batch_seed, const CheckOptions& options) {
  if (!args.schedule.empty()) return checker::Replay(body, args.schedule, options);
  if (args.strategy == "portfolio") return CheckPortfolio(body, count, batch_seed, options);
  if (args.strategy == "pct") return CheckPct(body, count, args.depth, batch_seed, options);
  if (args.strategy == "dfs") return CheckDfs(body, args.depth, count, options);
  if (args.strategy == "ipb") return CheckIterativeDfs(body, args.depth, count, options);
  if (args.strategy == "delay") return CheckDelayBounded(body, args.depth, count, options);
  return CheckRandom(body, count, batch_seed, options);
}

// The store's concurrency harnesses (StoreConcurrencyBody) under the deterministic scheduler,
// taking turns in batches. A livelock does not end the run (unless --stop-at-first): the other
// harnesses, and later batches of the same one, may still find a real bug; every distinct kind
// of failure found is reported. With --schedule, one replay of that schedule (one harness).
int Concurrency(const ConcurrencyArgs& args) {
  seeded::Bug bug = seeded::Bug::kNone;
  if (int rc = ParseBug(args.bug, &bug)) return rc;
  const std::string& strategy = args.strategy;
  if (strategy != "portfolio" && strategy != "random" && strategy != "pct" && strategy != "dfs" &&
      strategy != "ipb" && strategy != "delay") {
    std::cerr << "shardcheck: unknown strategy '" << strategy
              << "' (portfolio, random, pct, dfs, ipb or delay)\n";
    return kExitUsage;
  }
  std::optional<double> budget;
  if (!args.time_budget.empty() && !(budget = ParseDuration(args.time_budget))) {
    std::cerr << "shardcheck: --time-budget takes a positive duration (90, 90s, 10m, 2h), not '"
              << args.time_budget << "'\n";
    return kExitUsage;
  }
  std::vector<StoreWorkload> workloads;
  if (args.harness == "all") {
    workloads.assign(AllStoreWorkloads().begin(), AllStoreWorkloads().end());
  } else if (auto workload = FindStoreWorkload(args.harness)) {
    workloads = {*workload};
  } else {
    std::cerr << "shardcheck: unknown harness '" << args.harness
              << "' (clients, reclaim-compact, list-delete, readers-reset or all)\n";
    return kExitUsage;
  }
  if (!args.schedule.empty()) {
    if (const std::optional<std::string> error = ScheduleError(args.schedule)) {
      std::cerr << "shardcheck: not a schedule (" << *error << "): " << args.schedule << "\n";
      return kExitUsage;
    }
    if (workloads.size() != 1) {
      std::cerr << "shardcheck: --schedule replays one harness; name it with --harness\n";
      return kExitUsage;
    }
  }
  const seeded::Scope scope(bug);
  std::ostream& human = args.as_json ? std::cerr : std::cout;
  // The harnesses take turns in batches, so a bug only one of them reaches is found as soon as
  // that one has had its share. The systematic searches and a replay run each harness whole.
  const bool systematic = strategy == "dfs" || strategy == "ipb" || strategy == "delay";
  const bool batched = args.schedule.empty() && !systematic;
  const uint64_t per_harness = static_cast<uint64_t>(args.iterations);
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
          SearchHarness(StoreConcurrencyBody(workloads[w], args.seed), args,
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
           " --seed " + std::to_string(args.seed) +
           (bug == seeded::Bug::kNone ? "" : " --bug " + BugName(bug)) + " --schedule '" +
           f.second.minimized + "'";
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
             {"bug", bug == seeded::Bug::kNone ? json(nullptr) : json(BugName(bug))},
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
    std::cout << out.dump() << std::endl;
  }
  return failures.empty() ? 0 : kExitViolation;
}

struct LinearizeArgs {
  std::string path;
  std::string model = "kv";
  bool lenient = false;  // ignore (and name) unknown fields instead of refusing them
  std::string time_budget = "60s";
  uint64_t states_max = 0;     // 0: none
  uint64_t memory_mib = 2048;  // the search cache's budget
  bool as_json = false;
};

// Exit 0: linearizable; 1: not (the key and a minimal non-linearizable sub-history printed);
// 2: the file cannot be read or parsed, or bad usage; 3: unknown (a budget ran out first).
int Linearize(const LinearizeArgs& args) {
  const std::optional<LinearizabilityModel> model = ParseLinearizabilityModel(args.model);
  if (!model) {
    std::cerr << "shardcheck: unknown model '" << args.model << "' (register or kv)\n";
    return kExitUsage;
  }
  const std::optional<double> seconds_max = ParseDuration(args.time_budget);
  if (!seconds_max) {
    std::cerr << "shardcheck: --time-budget takes a positive duration (90, 90s, 10m, 2h), not '"
              << args.time_budget << "'\n";
    return kExitUsage;
  }
  struct stat st {};
  if (::stat(args.path.c_str(), &st) != 0) {
    std::cerr << "shardcheck: cannot read " << args.path << ": " << std::strerror(errno) << "\n";
    return kExitUsage;
  }
  if (!S_ISREG(st.st_mode)) {
    std::cerr << "shardcheck: " << args.path << " is not a regular file (a history is a file of "
              << "JSON lines)\n";
    return kExitUsage;
  }
  std::ifstream in(args.path);
  if (!in) {
    std::cerr << "shardcheck: cannot read " << args.path << ": " << std::strerror(errno) << "\n";
    return kExitUsage;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::string> ignored;
  StatusOr<History> history =
      ParseHistory(text.str(), {.strict = !args.lenient, .ignored_fields = &ignored});
  if (!history.ok()) {
    std::cerr << "shardcheck: " << args.path << ": " << history.status().message()
              << (args.lenient ? "" : " (--lenient ignores unknown fields)") << "\n";
    return kExitUsage;
  }
  for (const std::string& field : ignored) {
    std::cerr << "shardcheck: warning: ignored the unknown field \"" << field << "\"\n";
  }
  if (history->empty()) {
    std::cerr << "shardcheck: " << args.path << " holds no events\n";
    return kExitUsage;
  }
  LinearizabilityOptions options;
  options.seconds_max = *seconds_max;
  options.states_max = args.states_max;
  options.cache_entries_max = args.memory_mib * (1 << 20) / 48;  // about 48 bytes an entry
  const bool terminal = isatty(STDERR_FILENO) != 0;
  if (terminal) {
    options.progress = [](uint64_t states, const std::string& key) {
      std::cerr << "\rlinearize: " << states << " states, key " << key.substr(0, 40) << "   "
                << std::flush;
    };
  }
  const auto start = std::chrono::steady_clock::now();
  const LinearizabilityReport report = CheckLinearizability(*history, *model, options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (terminal) std::cerr << "\r\033[K";
  std::ostream& human = args.as_json ? std::cerr : std::cout;
  const char* verdict = report.verdict == Verdict::kLinearizable      ? "linearizable"
                        : report.verdict == Verdict::kNotLinearizable ? "NOT linearizable"
                                                                      : "unknown";
  human << "linearize[" << args.model << "]: " << report.operations << " operations on "
        << report.keys << (report.keys == 1 ? " key" : " keys") << ", " << report.states
        << " search states in " << seconds << " s: " << verdict;
  if (report.verdict == Verdict::kUnknown) {
    human << ": " << report.unknown_reason << " on key " << report.key
          << " (raise --time-budget, --states-max or --memory-mib)";
  }
  human << "\n";
  if (report.verdict == Verdict::kNotLinearizable) {
    human << "key " << report.key << ": a minimal non-linearizable sub-history ("
          << report.minimal.size() << " events):\n"
          << FormatHistory(report.minimal);
  }
  if (args.as_json) {
    json out{{"suite", "linearize"},
             {"result", report.verdict == Verdict::kLinearizable      ? "pass"
                        : report.verdict == Verdict::kNotLinearizable ? "violation"
                                                                      : "unknown"},
             {"model", args.model},
             {"operations", report.operations},
             {"keys", report.keys},
             {"states", report.states},
             {"seconds", seconds}};
    if (report.verdict == Verdict::kNotLinearizable) {
      json minimal = json::array();
      std::istringstream lines(FormatHistory(report.minimal));
      for (std::string line; std::getline(lines, line);) minimal.push_back(json::parse(line));
      out["key"] = report.key;
      out["minimal"] = minimal;
    } else if (report.verdict == Verdict::kUnknown) {
      out["key"] = report.key;
      out["reason"] = report.unknown_reason;
    }
    std::cout << out.dump() << std::endl;
  }
  return report.verdict == Verdict::kLinearizable      ? 0
         : report.verdict == Verdict::kNotLinearizable ? kExitViolation
                                                       : kExitUnknown;
}

int Bugs(bool as_json) {
  json list = json::array();
  for (const seeded::BugInfo& info : seeded::AllBugs()) {
    if (as_json) {
      list.push_back({{"name", info.name},
                      {"class", seeded::BugClassName(info.bug_class)},
                      {"description", info.description}});
    } else {
      std::cout << info.name << "  " << seeded::BugClassName(info.bug_class) << "  "
                << info.description << "\n";
    }
  }
  if (as_json) {
    std::cout << json{{"compiled_in", seeded::CompiledIn()}, {"bugs", list}}.dump() << std::endl;
  } else if (!seeded::CompiledIn()) {
    std::cerr << "(this build has none compiled in: configure with -DSHARDSTORE_SEEDED_BUGS=ON)\n";
  }
  return 0;
}

int Main(int argc, char** argv) {
  SetAssertMode(AssertMode::kThrow);  // an engine assertion becomes a violation to shrink
  CLI::App app{"shardcheck: the shardstore checkers"};
  app.require_subcommand(1);

  int iterations = 1000;
  uint64_t seed = 1;
  std::string bug;
  std::string harness = "all";
  int max_ops = 50;
  bool as_json = false;
  CLI::App* conformance =
      app.add_subcommand("conformance", "random op sequences against the reference models");
  conformance->add_option("--iterations", iterations, "sequences per harness")
      ->check(CLI::Range(1, 1 << 30));
  conformance->add_option("--seed", seed, "the run is a function of (seed, commit)");
  conformance->add_option("--bug", bug, "turn on a seeded bug (see `shardcheck bugs`)");
  conformance->add_option("--harness", harness, "store, index, chunk or all");
  conformance->add_option("--max-ops", max_ops, "longest sequence")->check(CLI::Range(1, 10000));
  conformance->add_flag("--json", as_json, "one JSON object on stdout, last");

  std::string token;
  CLI::App* replay = app.add_subcommand("replay", "rerun one case from its replay token");
  replay->add_option("token", token, "as printed by a failing run")->required();
  replay->add_flag("--json", as_json, "one JSON object on stdout, last");

  CLI::App* crash = app.add_subcommand(
      "crash", "the crash explorer: every disk flush of every sequence is a crash point");
  crash->add_option("--iterations", iterations, "sequences")->check(CLI::Range(1, 1 << 30));
  crash->add_option("--seed", seed, "the run is a function of (seed, commit)");
  crash->add_option("--bug", bug, "turn on a seeded bug (see `shardcheck bugs`)");
  crash->add_option("--harness", harness, "chunk, store or all");
  crash->add_option("--max-ops", max_ops, "longest sequence")->check(CLI::Range(1, 10000));
  crash->add_flag("--json", as_json, "one JSON object on stdout, last");

  ConcurrencyArgs cargs;
  CLI::App* concurrency = app.add_subcommand(
      "concurrency", "the store under the deterministic scheduler, checked for linearizability");
  concurrency->add_option("--iterations", cargs.iterations, "schedules per harness")
      ->check(CLI::Range(1, 1 << 30));
  concurrency->add_option("--seed", cargs.seed, "draws the clients' operations and the strategy");
  concurrency->add_option("--strategy", cargs.strategy,
                          "portfolio (random and pct at depths 1-3 in turn), random, pct, dfs, "
                          "ipb (dfs with bound 0, 1, ... depth) or delay (delay bounding)");
  concurrency->add_option("--harness", cargs.harness,
                          "clients, reclaim-compact, list-delete, readers-reset or all");
  concurrency
      ->add_option("--depth", cargs.depth,
                   "pct: bug depth; dfs, ipb: preemption bound; delay: delay bound")
      ->check(CLI::Range(0, 64));
  concurrency->add_option("--bug", cargs.bug, "turn on a seeded bug (see `shardcheck bugs`)");
  concurrency->add_option("--schedule", cargs.schedule, "replay one schedule (as printed)");
  concurrency->add_option("--time-budget", cargs.time_budget,
                          "stop once this much time is spent (90s, 10m, 2h)");
  concurrency->add_flag("--stop-at-first", cargs.stop_at_first,
                        "stop at the first failure, a livelock included");
  concurrency->add_flag("--json", cargs.as_json, "one JSON object on stdout, last");

  CrashConcurrencyArgs xargs;
  std::string xbug, xbudget;
  CLI::App* joint = app.add_subcommand(
      "crash-concurrency", "power cuts at scheduling points of concurrent clients, then recovery");
  joint->add_option("--iterations", xargs.iterations, "schedules per harness")
      ->check(CLI::Range(1, 1 << 30));
  joint->add_option("--seed", xargs.seed, "draws programs, schedules and crash plans");
  joint->add_option("--strategy", xargs.strategy, "portfolio, random, pct or dfs");
  joint->add_option("--harness", xargs.harness, "clients, reclaim-compact, chunk-writers or all");
  joint->add_option("--depth", xargs.depth, "pct: bug depth; dfs: preemption bound")
      ->check(CLI::Range(0, 64));
  joint->add_option("--bug", xbug, "turn on a seeded bug (see `shardcheck bugs`)");
  joint->add_option("--time-budget", xbudget, "stop once this much time is spent (90s, 10m, 2h)");
  joint->add_flag("--json", xargs.as_json, "one JSON object on stdout, last");

  LinearizeArgs largs;
  CLI::App* linearize =
      app.add_subcommand("linearize", "check a recorded history (JSON lines) for linearizability");
  linearize->add_option("file", largs.path, "one event a line (see docs)")->required();
  linearize->add_option("--model", largs.model, "register or kv");
  linearize->add_flag("--lenient", largs.lenient, "ignore unknown fields (named on stderr)");
  linearize->add_option("--time-budget", largs.time_budget,
                        "give up with 'unknown' (exit 3) after this long (default 60s)");
  linearize->add_option("--states-max", largs.states_max,
                        "give up with 'unknown' after this many search states (0: no limit)");
  linearize->add_option("--memory-mib", largs.memory_mib, "the search cache's budget (MiB)")
      ->check(CLI::Range(1, 1 << 20));
  linearize->add_flag("--json", largs.as_json, "one JSON object on stdout, last");

  CLI::App* bugs = app.add_subcommand("bugs", "list the seeded bugs");
  bugs->add_flag("--json", as_json, "as one JSON object");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "shardcheck: " << e.what() << "\n" << app.help();
    return kExitUsage;
  }
  if (conformance->parsed()) {
    return Conformance("conformance", iterations, seed, bug, harness, max_ops, as_json);
  }
  if (crash->parsed()) {
    return Conformance("crash", iterations, seed, bug, harness, max_ops, as_json);
  }
  if (replay->parsed()) return Replay(token, as_json);
  if (linearize->parsed()) return Linearize(largs);
  if (concurrency->parsed()) {
    return Concurrency(cargs);
  }
  if (joint->parsed()) {
    if (int rc = ParseBug(xbug, &xargs.bug)) return rc;
    if (!xbudget.empty()) {
      const std::optional<double> budget = ParseDuration(xbudget);
      if (!budget) {
        std::cerr << "shardcheck: --time-budget takes a positive duration (90, 90s, 10m, 2h), not '"
                  << xbudget << "'\n";
        return kExitUsage;
      }
      xargs.time_budget_seconds = *budget;
    }
    return Print(RunCrashConcurrencySuite(xargs), xargs.as_json);
  }
  if (bugs->parsed()) return Bugs(as_json);
  return kExitUsage;
}

}  // namespace
}  // namespace shardstore::checker

int main(int argc, char** argv) { return shardstore::checker::Main(argc, argv); }
