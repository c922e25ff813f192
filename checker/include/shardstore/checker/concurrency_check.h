// Concurrency checks for users' own harnesses: run a body under the deterministic scheduler with
// a strategy, many times; on a failure, minimize the schedule and say how to replay it.
//
//   TEST(MyTest, CounterIsLinearizable) {
//     const ConcurrencyReport report = CheckPct([] { ...start threads, join, assert... }, 1000, 3);
//     EXPECT_TRUE(report.ok()) << report;  // prints the failure, the schedules, Replay(...)
//   }
//
// The body is called once per schedule and must build its state afresh each time; it starts
// threads with sync::Thread and fails by throwing (SS_ASSERT does in test binaries). Everything it
// does is a function of the schedule: no clocks, no unseeded randomness, no real IO waits.
//
// Minimization: after a failure the schedule is reduced while it still fails (any failure). It
// is edited as a list of runs (fiber f for n steps, RunListStrategy): dropping one run (one switch
// fewer), letting one run go on until its fiber blocks or ends, then cutting the list short (the
// current fiber continues where it ends); a candidate is kept when its run is smaller by
// (preemptions, steps). The minimized schedule is the step list that run made, so it replays bit
// for bit with Replay().
//
// Thread-safety: one check at a time per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "shardstore/checker/scheduler.h"

namespace shardstore::checker {

using Body = std::function<void()>;

struct ConcurrencyReport {
  std::string strategy;    // "random", "pct(3)", "dfs(2)", "portfolio: pct(2)", "replay"
  uint64_t schedules = 0;  // run in the search, the failing one included
  double seconds = 0;      // of the search
  bool exhausted = false;  // DFS: every schedule within the bound ran
  std::optional<std::string> failure;
  // The failing schedule as found, and minimized (both replay with Replay()).
  std::string schedule;
  uint64_t steps = 0;
  uint32_t preemptions = 0;
  std::string minimized;
  uint64_t minimized_steps = 0;
  uint32_t minimized_preemptions = 0;
  std::optional<std::string> minimized_failure;  // what the minimized schedule fails with
  bool ok() const { return !failure; }
  std::string Describe() const;
};
std::ostream& operator<<(std::ostream& os, const ConcurrencyReport& report);

ConcurrencyReport CheckRandom(const Body& body, int iterations, uint64_t seed = 1,
                              SchedulerOptions options = {});
ConcurrencyReport CheckPct(const Body& body, int iterations, uint32_t depth, uint64_t seed = 1,
                           SchedulerOptions options = {});
// Takes turns among random and PCT at depths 1 to 3 (PortfolioStrategy::Default); the report's
// strategy names the member that found the failure.
ConcurrencyReport CheckPortfolio(const Body& body, int iterations, uint64_t seed = 1,
                                 SchedulerOptions options = {});
// Every schedule with at most `preemption_bound` preemptions, up to `schedules_max`.
ConcurrencyReport CheckDfs(const Body& body, uint32_t preemption_bound,
                           uint64_t schedules_max = 1'000'000, SchedulerOptions options = {});
// One run of a printed schedule ("sched1:..."); failure when the schedule does not parse.
ConcurrencyReport Replay(const Body& body, std::string_view schedule,
                         SchedulerOptions options = {});

// Reduces a failing run's schedule while it still fails; returns the smallest failing run.
ScheduleRun MinimizeSchedule(const Body& body, const ScheduleRun& failing, Scheduler& scheduler,
                             int replays_max = 2000);

}  // namespace shardstore::checker
