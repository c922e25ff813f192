#include "shardstore/checker/concurrency_check.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <utility>
#include <vector>

#include "shardstore/assert.h"

namespace shardstore::checker {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool Smaller(const ScheduleRun& a, const ScheduleRun& b) {
  return std::pair(a.preemptions, a.steps()) < std::pair(b.preemptions, b.steps());
}

std::string Join(const std::vector<std::string>& parts) {
  std::string text;
  for (const std::string& part : parts) text += (text.empty() ? "" : "; ") + part;
  return text;
}

// A failing run that took unusual choices, checked against the same schedule with every choice
// plain. If that fails the same way, the choices did not matter: `run` becomes the plain run.
// Otherwise the program relies on what the primitives do not promise: misuse.
Failure Classify(const Body& body, ScheduleRun* run, Scheduler& scheduler) {
  SS_ASSERT(run->failure.has_value());
  if (run->unusual.empty()) return *run->failure;
  Schedule plain;
  for (FiberId entry : run->schedule) {
    if (!IsChoice(entry)) plain.push_back(entry);
  }
  ReplayStrategy replay(std::move(plain));
  ScheduleRun again = scheduler.Run(body, replay);
  if (again.failure && again.failure->SameAs(*run->failure)) {
    *run = std::move(again);
    return *run->failure;
  }
  return Failure{FailureKind::kMisuse,
                 "the program relies on what its primitives do not promise: "
                 "it fails only when " +
                     Join(run->unusual) + " (" + run->failure->ToString() +
                     "); wait in a loop that rechecks its condition"};
}

// Failures before a livelock: a schedule that hit the step bound tells least.
bool MoreTelling(const FoundFailure& a, const FoundFailure& b) {
  return a.failure.kind != FailureKind::kLivelock && b.failure.kind == FailureKind::kLivelock;
}

FoundFailure Record(const Body& body, ScheduleRun run, const Failure& failure, std::string strategy,
                    uint64_t index, Scheduler& scheduler, const CheckOptions& options,
                    bool minimize) {
  FoundFailure found;
  found.failure = failure;
  found.strategy = std::move(strategy);
  found.schedule_index = index;
  found.schedule = EncodeSchedule(run.schedule);
  found.steps = run.steps();
  found.preemptions = run.preemptions;
  const ScheduleRun minimized =
      minimize ? MinimizeSchedule(body, run, scheduler, options.minimize_replays_max) : run;
  found.minimized = EncodeSchedule(minimized.schedule);
  found.minimized_steps = minimized.steps();
  found.minimized_preemptions = minimized.preemptions;
  found.minimized_failure = minimized.failure;
  found.unusual = minimized.unusual;
  return found;
}

// Runs `strategy` until a failure that ends the search, `iterations` runs, the time budget, or
// the strategy has no more. `member` names the strategy that made the last run (a portfolio's).
ConcurrencyReport Search(const Body& body, Strategy& strategy, uint64_t iterations,
                         std::string name, const CheckOptions& options,
                         const std::function<std::string()>& member, bool minimize = true) {
  const auto start = std::chrono::steady_clock::now();
  Scheduler scheduler(options.scheduler);
  ConcurrencyReport report;
  report.strategy = std::move(name);
  for (uint64_t i = 0; i < iterations; ++i) {
    if (options.time_budget_seconds > 0 && SecondsSince(start) >= options.time_budget_seconds) {
      report.budget_spent = true;
      break;
    }
    ScheduleRun run = scheduler.Run(body, strategy);
    ++report.schedules;
    report.steps_total += run.steps();
    report.steps_max = std::max(report.steps_max, run.steps());
    if (run.failure) {
      const std::string who = member ? member() : report.strategy;
      const Failure failure = Classify(body, &run, scheduler);
      const bool known =
          std::any_of(report.failures.begin(), report.failures.end(),
                      [&](const FoundFailure& f) { return f.failure.kind == failure.kind; });
      if (!known) {
        report.failures.push_back(Record(body, std::move(run), failure, who, report.schedules,
                                         scheduler, options, minimize));
      }
      if (options.stop_at_first || failure.kind != FailureKind::kLivelock) break;
    }
    if (!strategy.NextRun()) {
      report.exhausted = true;
      break;
    }
  }
  report.seconds = SecondsSince(start);
  std::stable_sort(report.failures.begin(), report.failures.end(), MoreTelling);
  if (!report.failures.empty()) {
    const FoundFailure& first = report.failures.front();
    report.failure = first.failure.ToString();
    report.kind = first.failure.kind;
    report.schedule = first.schedule;
    report.steps = first.steps;
    report.preemptions = first.preemptions;
    report.minimized = first.minimized;
    report.minimized_steps = first.minimized_steps;
    report.minimized_preemptions = first.minimized_preemptions;
    if (first.minimized_failure) report.minimized_failure = first.minimized_failure->ToString();
  }
  return report;
}

}  // namespace

ScheduleRun MinimizeSchedule(const Body& body, const ScheduleRun& failing, Scheduler& scheduler,
                             int replays_max) {
  SS_ASSERT(failing.failure.has_value());
  using Runs = std::vector<RunListStrategy::Run>;
  const Failure target = *failing.failure;
  const bool needs_unusual = !failing.unusual.empty();
  ScheduleRun best = failing;
  int replays = 0;
  // Runs `runs`; keeps the run it makes when it fails the same way and is smaller.
  auto attempt = [&](Runs runs) {
    if (replays >= replays_max) return false;
    ++replays;
    RunListStrategy strategy(std::move(runs));
    ScheduleRun run = scheduler.Run(body, strategy);
    if (!run.failure || !run.failure->SameAs(target)) return false;
    if (needs_unusual && run.unusual.empty()) return false;
    if (!Smaller(run, best)) return false;
    best = std::move(run);
    return true;
  };
  // Long schedules first lose whole stretches of runs (halves, quarters, ...), as delta
  // debugging does, so the single-run edits below start from something short.
  for (size_t width = RunListStrategy::RunsOf(best.schedule).size() / 2; width >= 2;) {
    const Runs runs = RunListStrategy::RunsOf(best.schedule);
    bool improved = false;
    for (size_t r = 1; r + width <= runs.size() && !improved && replays < replays_max; r += width) {
      Runs candidate = runs;
      candidate.erase(candidate.begin() + static_cast<std::ptrdiff_t>(r),
                      candidate.begin() + static_cast<std::ptrdiff_t>(r + width));
      improved = attempt(std::move(candidate));
    }
    if (!improved) width /= 2;
    if (replays >= replays_max) break;
  }
  for (bool improved = true; improved && replays < replays_max;) {
    improved = false;
    const Runs runs = RunListStrategy::RunsOf(best.schedule);
    // Drop one run of a fiber: the next run's fiber takes over there (one switch fewer). First
    // with the fiber's next run taking the dropped steps (it keeps its progress), then without.
    for (size_t r = 1; r < runs.size() && !improved; ++r) {
      for (bool absorb : {true, false}) {
        Runs candidate = runs;
        size_t next = r + 1;
        while (next < runs.size() && runs[next].fiber != runs[r].fiber) ++next;
        if (absorb && next == runs.size()) continue;
        if (absorb) candidate[next].steps += runs[r].steps;
        candidate.erase(candidate.begin() + static_cast<std::ptrdiff_t>(r));
        improved = attempt(std::move(candidate));
        if (improved) break;
      }
    }
    // Let one run go on until its fiber blocks or ends (no switch away from it).
    for (size_t r = 0; r < runs.size() && !improved; ++r) {
      if (IsChoice(runs[r].fiber)) continue;
      Runs candidate = runs;
      candidate[r].steps = UINT64_MAX;
      improved = attempt(std::move(candidate));
    }
    // Cut the list short: from there the current fiber continues while it can.
    for (size_t r = 1; r < runs.size() && !improved; ++r) {
      improved = attempt(Runs(runs.begin(), runs.begin() + static_cast<std::ptrdiff_t>(r)));
    }
  }
  return best;
}

ConcurrencyReport Check(const Body& body, Strategy& strategy, uint64_t iterations, std::string name,
                        const CheckOptions& options) {
  return Search(body, strategy, iterations, std::move(name), options, nullptr);
}

ConcurrencyReport CheckRandom(const Body& body, uint64_t iterations, uint64_t seed,
                              const CheckOptions& options) {
  RandomStrategy strategy(seed);
  return Check(body, strategy, iterations, "random", options);
}

ConcurrencyReport CheckPct(const Body& body, uint64_t iterations, uint32_t depth, uint64_t seed,
                           const CheckOptions& options) {
  PctStrategy strategy(seed, depth);
  return Check(body, strategy, iterations, "pct(" + std::to_string(depth) + ")", options);
}

ConcurrencyReport CheckPortfolio(const Body& body, uint64_t iterations, uint64_t seed,
                                 const CheckOptions& options) {
  PortfolioStrategy strategy = PortfolioStrategy::Default(seed);
  ConcurrencyReport report = Search(body, strategy, iterations, "portfolio", options, [&strategy] {
    return "portfolio: " + strategy.current_name();
  });
  if (!report.ok()) report.strategy = report.failures.front().strategy;
  return report;
}

ConcurrencyReport CheckDfs(const Body& body, uint32_t preemption_bound, uint64_t schedules_max,
                           const CheckOptions& options) {
  DfsStrategy strategy(preemption_bound);
  return Check(body, strategy, schedules_max, "dfs(" + std::to_string(preemption_bound) + ")",
               options);
}

ConcurrencyReport CheckIterativeDfs(const Body& body, uint32_t bound_max, uint64_t schedules_max,
                                    const CheckOptions& options) {
  IterativeDfsStrategy strategy(bound_max);
  ConcurrencyReport report =
      Search(body, strategy, schedules_max, "ipb(" + std::to_string(bound_max) + ")", options,
             [&strategy] { return "ipb: bound " + std::to_string(strategy.bound()); });
  if (!report.ok()) report.strategy = report.failures.front().strategy;
  return report;
}

ConcurrencyReport CheckDelayBounded(const Body& body, uint32_t delay_bound, uint64_t schedules_max,
                                    const CheckOptions& options) {
  DfsStrategy strategy(delay_bound, DfsStrategy::Cost::kDelays);
  return Check(body, strategy, schedules_max, "delay(" + std::to_string(delay_bound) + ")",
               options);
}

ConcurrencyReport Replay(const Body& body, std::string_view schedule, const CheckOptions& options) {
  if (const std::optional<std::string> error = ScheduleError(schedule)) {
    ConcurrencyReport report;
    report.strategy = "replay";
    FoundFailure bad;
    bad.failure = Failure{FailureKind::kMisuse, "not a schedule: " + *error};
    report.failures.push_back(std::move(bad));
    report.failure = report.failures.front().failure.ToString();
    report.kind = FailureKind::kMisuse;
    return report;
  }
  ReplayStrategy strategy(*DecodeSchedule(schedule));
  CheckOptions once = options;
  once.stop_at_first = true;
  return Search(body, strategy, 1, "replay", once, nullptr, /*minimize=*/false);
}

std::string ConcurrencyReport::Describe() const {
  std::string text = strategy + ": " + std::to_string(schedules) + " schedules, " +
                     std::to_string(steps_total) + " steps";
  if (exhausted) text += " (every one within the bound)";
  if (budget_spent) text += " (the time budget ran out)";
  if (ok()) return text + ", no failure";
  for (size_t i = 0; i < failures.size(); ++i) {
    const FoundFailure& f = failures[i];
    text += (i == 0 ? "; failed: " : "\n  also found, by " + f.strategy + ": ") +
            f.failure.ToString() + "\n  schedule: " + f.schedule + " (" + std::to_string(f.steps) +
            " steps, " + std::to_string(f.preemptions) +
            " preemptions)\n  minimized: " + f.minimized + " (" +
            std::to_string(f.minimized_steps) + " steps, " +
            std::to_string(f.minimized_preemptions) + " preemptions)";
    if (f.minimized_failure && f.minimized_failure->ToString() != f.failure.ToString() &&
        f.failure.kind != FailureKind::kMisuse) {
      text += "\n  the minimized schedule fails with: " + f.minimized_failure->ToString();
    }
    text += "\n  replay: Replay(body, \"" + f.minimized + "\")";
  }
  return text;
}

std::ostream& operator<<(std::ostream& os, const ConcurrencyReport& report) {
  return os << report.Describe();
}

}  // namespace shardstore::checker
