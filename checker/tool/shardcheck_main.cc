// shardcheck: the checkers' command line.
//
//   shardcheck conformance [--iterations N] [--seed S] [--bug NAME] [--harness H] [--json]
//   shardcheck crash [--iterations N] [--seed S] [--bug NAME] [--harness chunk|store|all] [--json]
//   shardcheck replay TOKEN [--json]
//   shardcheck bugs [--json]
//   shardcheck concurrency [--iterations N] [--seed S] [--strategy portfolio|random|pct|dfs]
//                          [--depth D] [--harness clients|reclaim-compact|list-delete|all]
//                          [--bug NAME] [--schedule SCHED] [--json]
//   shardcheck linearize FILE --model register|kv [--json]
//
// Exit status: 0 no violation, 1 a violation (minimized case, replay token and GoogleTest
// printed), 2 bad usage. With --json the last thing on stdout is one JSON object and the
// readable report goes to stderr.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <utility>

#include "shardstore/assert.h"
#include "shardstore/checker/conformance.h"
#include "shardstore/checker/linearizability.h"
#include "shardstore/checker/store_concurrency.h"
#include "shardstore/seeded_bug.h"

namespace shardstore::checker {
namespace {

using nlohmann::json;

constexpr int kExitViolation = 1;
constexpr int kExitUsage = 2;

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

int Replay(const std::string& token, bool as_json) {
  const std::optional<Case> c = DecodeToken(token);
  if (!c) {
    std::cerr << "shardcheck: not a valid replay token: " << token << "\n";
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

// The store's concurrency harnesses (StoreConcurrencyBody) under the deterministic scheduler,
// one after another until one fails. With --schedule, one replay of that schedule (one harness).
int Concurrency(int iterations, uint64_t seed, const std::string& strategy, uint32_t depth,
                const std::string& bug_name, const std::string& harness_name,
                const std::string& schedule, bool as_json) {
  seeded::Bug bug = seeded::Bug::kNone;
  if (int rc = ParseBug(bug_name, &bug)) return rc;
  if (strategy != "portfolio" && strategy != "random" && strategy != "pct" && strategy != "dfs") {
    std::cerr << "shardcheck: unknown strategy '" << strategy
              << "' (portfolio, random, pct or dfs)\n";
    return kExitUsage;
  }
  std::vector<StoreWorkload> workloads;
  if (harness_name == "all") {
    workloads.assign(AllStoreWorkloads().begin(), AllStoreWorkloads().end());
  } else if (auto workload = FindStoreWorkload(harness_name)) {
    workloads = {*workload};
  } else {
    std::cerr << "shardcheck: unknown harness '" << harness_name
              << "' (clients, reclaim-compact, list-delete or all)\n";
    return kExitUsage;
  }
  if (!schedule.empty() && !DecodeSchedule(schedule)) {
    std::cerr << "shardcheck: not a schedule: " << schedule << "\n";
    return kExitUsage;
  }
  if (!schedule.empty() && workloads.size() != 1) {
    std::cerr << "shardcheck: --schedule replays one harness; name it with --harness\n";
    return kExitUsage;
  }
  const seeded::Scope scope(bug);
  std::ostream& human = as_json ? std::cerr : std::cout;
  // The harnesses take turns in batches, so a bug only one of them reaches is found as soon as
  // that one has had its share. DFS and a replay run each harness whole.
  const bool batched = schedule.empty() && strategy != "dfs";
  const uint64_t per_harness = static_cast<uint64_t>(iterations);
  const uint64_t batch = batched ? std::min<uint64_t>(per_harness, 1000) : per_harness;
  struct Tally {
    uint64_t schedules = 0;
    double seconds = 0;
    bool done = false;       // its share ran, or its search has no more schedules
    bool exhausted = false;  // DFS: every schedule within the bound ran
  };
  std::vector<Tally> tallies(workloads.size());
  std::optional<std::pair<StoreWorkload, ConcurrencyReport>> failed;
  for (uint64_t round = 0; !failed; ++round) {
    bool ran = false;
    for (size_t w = 0; w < workloads.size() && !failed; ++w) {
      Tally& tally = tallies[w];
      if (tally.done || tally.schedules >= per_harness) continue;
      ran = true;
      const int count = static_cast<int>(std::min(batch, per_harness - tally.schedules));
      // Each batch is its own seeded search; the run stays a function of (seed, commit).
      const uint64_t batch_seed = seed + round * 1'000'003;
      const Body body = StoreConcurrencyBody(workloads[w], seed);
      ConcurrencyReport report = !schedule.empty()         ? checker::Replay(body, schedule)
                                 : strategy == "portfolio" ? CheckPortfolio(body, count, batch_seed)
                                 : strategy == "pct" ? CheckPct(body, count, depth, batch_seed)
                                 : strategy == "dfs"
                                     ? CheckDfs(body, depth, static_cast<uint64_t>(count))
                                     : CheckRandom(body, count, batch_seed);
      tally.schedules += report.schedules;
      tally.seconds += report.seconds;
      tally.exhausted = report.exhausted;
      tally.done = report.exhausted || !batched;
      if (!report.ok()) failed.emplace(workloads[w], std::move(report));
    }
    if (!ran) break;
  }
  json runs = json::array();
  uint64_t schedules = 0;
  double seconds = 0;
  for (size_t w = 0; w < workloads.size(); ++w) {
    const std::string name(StoreWorkloadName(workloads[w]));
    const Tally& tally = tallies[w];
    const bool this_failed = failed && failed->first == workloads[w];
    human << "concurrency[" << name << "] seed " << seed << ": "
          << (this_failed
                  ? failed->second.Describe()
                  : (schedule.empty() ? strategy : std::string("replay")) + ": " +
                        std::to_string(tally.schedules) + " schedules" +
                        (tally.exhausted ? " (every one within the bound)" : "") + ", no failure")
          << "\n";
    schedules += tally.schedules;
    seconds += tally.seconds;
    runs.push_back({{"harness", name},
                    {"schedules", tally.schedules},
                    {"seconds", tally.seconds},
                    {"exhausted", tally.exhausted},
                    {"result", this_failed ? "violation" : "pass"}});
  }
  std::string replay;
  if (failed) {
    replay = "shardcheck concurrency --harness " + std::string(StoreWorkloadName(failed->first)) +
             " --seed " + std::to_string(seed) +
             (bug == seeded::Bug::kNone ? "" : " --bug " + BugName(bug)) + " --schedule '" +
             failed->second.minimized + "'";
    human << "replay: " << replay << "\n";
  }
  if (as_json) {
    json out{{"suite", "concurrency"},
             {"result", failed ? "violation" : "pass"},
             {"seed", seed},
             {"iterations", schedules},
             {"seconds", seconds},
             {"strategy", failed ? failed->second.strategy : strategy},
             {"bug", bug == seeded::Bug::kNone ? json(nullptr) : json(BugName(bug))},
             {"harnesses", runs}};
    if (!failed) {
      out["schedule"] = nullptr;
      out["replay"] = nullptr;
    } else {
      const ConcurrencyReport& report = failed->second;
      out["harness"] = StoreWorkloadName(failed->first);
      out["violation"] = *report.failure;
      out["schedule"] = report.minimized;
      out["steps"] = {{"found", report.steps}, {"minimized", report.minimized_steps}};
      out["preemptions"] = {{"found", report.preemptions},
                            {"minimized", report.minimized_preemptions}};
      out["replay"] = replay;
    }
    std::cout << out.dump() << std::endl;
  }
  return failed ? kExitViolation : 0;
}

// Exit 0: linearizable; 1: not (the key and a minimal non-linearizable sub-history printed);
// 2: the file cannot be read or parsed.
int Linearize(const std::string& path, const std::string& model_name, bool as_json) {
  const std::optional<LinearizabilityModel> model = ParseLinearizabilityModel(model_name);
  if (!model) {
    std::cerr << "shardcheck: unknown model '" << model_name << "' (register or kv)\n";
    return kExitUsage;
  }
  std::ifstream in(path);
  if (!in) {
    std::cerr << "shardcheck: cannot read " << path << "\n";
    return kExitUsage;
  }
  std::stringstream text;
  text << in.rdbuf();
  StatusOr<History> history = ParseHistory(text.str());
  if (!history.ok()) {
    std::cerr << "shardcheck: " << path << ": " << history.status().message() << "\n";
    return kExitUsage;
  }
  const auto start = std::chrono::steady_clock::now();
  const LinearizabilityReport report = CheckLinearizability(*history, *model);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::ostream& human = as_json ? std::cerr : std::cout;
  human << "linearize[" << model_name << "]: " << report.operations << " operations on "
        << report.keys << (report.keys == 1 ? " key" : " keys") << ", " << report.states
        << " search states in " << seconds
        << " s: " << (report.linearizable ? "linearizable" : "NOT linearizable") << "\n";
  if (!report.linearizable) {
    human << "key " << report.key << ": a minimal non-linearizable sub-history ("
          << report.minimal.size() << " events):\n"
          << FormatHistory(report.minimal);
  }
  if (as_json) {
    json minimal = json::array();
    std::istringstream lines(FormatHistory(report.minimal));
    for (std::string line; std::getline(lines, line);) minimal.push_back(json::parse(line));
    json out{{"suite", "linearize"}, {"result", report.linearizable ? "pass" : "violation"},
             {"model", model_name},  {"operations", report.operations},
             {"keys", report.keys},  {"states", report.states},
             {"seconds", seconds}};
    if (!report.linearizable) {
      out["key"] = report.key;
      out["minimal"] = minimal;
    }
    std::cout << out.dump() << std::endl;
  }
  return report.linearizable ? 0 : kExitViolation;
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

  std::string strategy = "portfolio", schedule;
  uint32_t depth = 3;
  CLI::App* concurrency = app.add_subcommand(
      "concurrency", "the store under the deterministic scheduler, checked for linearizability");
  concurrency->add_option("--iterations", iterations, "schedules per harness")
      ->check(CLI::Range(1, 1 << 30));
  concurrency->add_option("--seed", seed, "draws the clients' operations and the strategy");
  concurrency->add_option("--strategy", strategy,
                          "portfolio (random and pct at depths 1-3 in turn), random, pct or dfs");
  concurrency->add_option("--harness", harness, "clients, reclaim-compact, list-delete or all");
  concurrency->add_option("--depth", depth, "pct: bug depth; dfs: preemption bound")
      ->check(CLI::Range(0, 64));
  concurrency->add_option("--bug", bug, "turn on a seeded bug (see `shardcheck bugs`)");
  concurrency->add_option("--schedule", schedule, "replay one schedule (as printed)");
  concurrency->add_flag("--json", as_json, "one JSON object on stdout, last");

  std::string history_path, model = "kv";
  CLI::App* linearize =
      app.add_subcommand("linearize", "check a recorded history (JSON lines) for linearizability");
  linearize->add_option("file", history_path, "one event a line (see docs)")->required();
  linearize->add_option("--model", model, "register or kv");
  linearize->add_flag("--json", as_json, "one JSON object on stdout, last");

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
  if (linearize->parsed()) return Linearize(history_path, model, as_json);
  if (concurrency->parsed()) {
    return Concurrency(iterations, seed, strategy, depth, bug, harness, schedule, as_json);
  }
  if (bugs->parsed()) return Bugs(as_json);
  return kExitUsage;
}

}  // namespace
}  // namespace shardstore::checker

int main(int argc, char** argv) { return shardstore::checker::Main(argc, argv); }
