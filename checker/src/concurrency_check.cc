#include "shardstore/checker/concurrency_check.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <utility>
#include <vector>

namespace shardstore::checker {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool Smaller(const ScheduleRun& a, const ScheduleRun& b) {
  return std::pair(a.preemptions, a.steps()) < std::pair(b.preemptions, b.steps());
}

// Runs `strategy` until a failure, `iterations` runs, or the strategy has no more.
ConcurrencyReport Search(const Body& body, Strategy& strategy, uint64_t iterations,
                         std::string name, SchedulerOptions options) {
  const auto start = std::chrono::steady_clock::now();
  Scheduler scheduler(options);
  ConcurrencyReport report;
  report.strategy = std::move(name);
  for (uint64_t i = 0; i < iterations; ++i) {
    ScheduleRun run = scheduler.Run(body, strategy);
    ++report.schedules;
    if (run.failure) {
      report.seconds = SecondsSince(start);
      report.failure = run.failure;
      report.schedule = EncodeSchedule(run.schedule);
      report.steps = run.steps();
      report.preemptions = run.preemptions;
      const ScheduleRun minimized = MinimizeSchedule(body, run, scheduler);
      report.minimized = EncodeSchedule(minimized.schedule);
      report.minimized_steps = minimized.steps();
      report.minimized_preemptions = minimized.preemptions;
      report.minimized_failure = minimized.failure;
      return report;
    }
    if (!strategy.NextRun()) {
      report.exhausted = true;
      break;
    }
  }
  report.seconds = SecondsSince(start);
  return report;
}

}  // namespace

ScheduleRun MinimizeSchedule(const Body& body, const ScheduleRun& failing, Scheduler& scheduler,
                             int replays_max) {
  using Runs = std::vector<RunListStrategy::Run>;
  ScheduleRun best = failing;
  int replays = 0;
  // Runs `runs`; keeps the run it makes when it still fails and is smaller.
  auto attempt = [&](Runs runs) {
    if (replays >= replays_max) return false;
    ++replays;
    RunListStrategy strategy(std::move(runs));
    ScheduleRun run = scheduler.Run(body, strategy);
    if (!run.failure || !Smaller(run, best)) return false;
    best = std::move(run);
    return true;
  };
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

ConcurrencyReport CheckRandom(const Body& body, int iterations, uint64_t seed,
                              SchedulerOptions options) {
  RandomStrategy strategy(seed);
  return Search(body, strategy, static_cast<uint64_t>(iterations), "random", options);
}

ConcurrencyReport CheckPct(const Body& body, int iterations, uint32_t depth, uint64_t seed,
                           SchedulerOptions options) {
  PctStrategy strategy(seed, depth);
  return Search(body, strategy, static_cast<uint64_t>(iterations),
                "pct(" + std::to_string(depth) + ")", options);
}

ConcurrencyReport CheckPortfolio(const Body& body, int iterations, uint64_t seed,
                                 SchedulerOptions options) {
  PortfolioStrategy strategy = PortfolioStrategy::Default(seed);
  ConcurrencyReport report =
      Search(body, strategy, static_cast<uint64_t>(iterations), "portfolio", options);
  if (!report.ok()) report.strategy += ": " + strategy.current_name();
  return report;
}

ConcurrencyReport CheckDfs(const Body& body, uint32_t preemption_bound, uint64_t schedules_max,
                           SchedulerOptions options) {
  DfsStrategy strategy(preemption_bound);
  return Search(body, strategy, schedules_max, "dfs(" + std::to_string(preemption_bound) + ")",
                options);
}

ConcurrencyReport Replay(const Body& body, std::string_view schedule, SchedulerOptions options) {
  ConcurrencyReport report;
  report.strategy = "replay";
  const std::optional<Schedule> decoded = DecodeSchedule(schedule);
  if (!decoded) {
    report.failure = "not a schedule: " + std::string(schedule);
    return report;
  }
  ReplayStrategy strategy(*decoded);
  report = Search(body, strategy, 1, "replay", options);
  return report;
}

std::string ConcurrencyReport::Describe() const {
  std::string text = strategy + ": " + std::to_string(schedules) + " schedules";
  if (exhausted) text += " (every one within the bound)";
  if (!failure) return text + ", no failure";
  text += "; failed: " + *failure + "\n  schedule: " + schedule + " (" + std::to_string(steps) +
          " steps, " + std::to_string(preemptions) + " preemptions)\n  minimized: " + minimized +
          " (" + std::to_string(minimized_steps) + " steps, " +
          std::to_string(minimized_preemptions) + " preemptions)";
  if (minimized_failure && *minimized_failure != *failure) {
    text += "\n  the minimized schedule fails with: " + *minimized_failure;
  }
  return text + "\n  replay: Replay(body, \"" + minimized + "\")";
}

std::ostream& operator<<(std::ostream& os, const ConcurrencyReport& report) {
  return os << report.Describe();
}

}  // namespace shardstore::checker
