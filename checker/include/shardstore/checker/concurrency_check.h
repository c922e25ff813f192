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
// A search goes on past a livelock (the step bound) by default, since a schedule that spins for
// ever may hide the member of the portfolio, or the next schedule, that finds the real bug; it
// reports every distinct kind of failure it found, the most telling first (anything before a
// livelock). `stop_at_first` ends it at the first failure of any kind.
//
// A failure that needs one of the choices the primitives leave open (a wake-up without a notify,
// a NotifyOne waking another waiter than the longest waiting, a weak compare-exchange failing) is
// told apart: the same schedule is run again with every choice plain, and if it then passes (or
// fails otherwise), the failure is reported as misuse: the program relies on what
// std::condition_variable and std::atomic do not promise ("wait in a loop that rechecks").
//
// Minimization: after a failure the schedule is reduced while it still fails the same way (same
// kind, and for assertions the same message: see Failure::SameAs), never into another failure.
// It is edited as a list of runs (fiber f for n steps, RunListStrategy): dropping one run (one
// switch fewer), letting one run go on until its fiber blocks or ends, then cutting the list
// short (the current fiber continues where it ends); a candidate is kept when its run is smaller
// by (preemptions, steps). The minimized schedule is the step list that run made, so it replays
// bit for bit with Replay() and fails with the same kind.
//
// Thread-safety: one check at a time per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "shardstore/checker/failure.h"
#include "shardstore/checker/scheduler.h"

namespace shardstore::checker {

using Body = std::function<void()>;

struct CheckOptions {
  SchedulerOptions scheduler;
  double time_budget_seconds = 0;  // 0: no limit; else the search stops once it is spent
  bool stop_at_first = false;      // stop at the first failure, a livelock included
  int minimize_replays_max = 2000;
  CheckOptions() = default;
  CheckOptions(SchedulerOptions options) : scheduler(options) {}  // NOLINT: implicit on purpose
};

// One distinct failure a search found, with the schedule that shows it.
struct FoundFailure {
  Failure failure;              // as classified (a failure needing an unusual choice is misuse)
  std::string strategy;         // the strategy (or portfolio member) that found it
  uint64_t schedule_index = 0;  // 1-based: the schedule of the search that failed
  std::string schedule;         // as found, and minimized (both replay with Replay())
  uint64_t steps = 0;
  uint64_t preemptions = 0;
  std::string minimized;
  uint64_t minimized_steps = 0;
  uint64_t minimized_preemptions = 0;
  std::optional<Failure> minimized_failure;  // what the minimized schedule fails with
  std::vector<std::string> unusual;          // unusual choices in the minimized run
};

struct ConcurrencyReport {
  std::string strategy;       // "random", "pct(3)", "dfs(2)", "portfolio: pct(2)", "replay"
  uint64_t schedules = 0;     // run in the search, the failing ones included
  uint64_t steps_total = 0;   // scheduling points over every schedule run
  uint64_t steps_max = 0;     // of the longest schedule
  double seconds = 0;         // of the search
  bool exhausted = false;     // DFS: every schedule within the bound ran
  bool budget_spent = false;  // the time budget ended the search
  // Every distinct kind of failure found, the most telling first; empty: no failure.
  std::vector<FoundFailure> failures;
  // The first of `failures`, as text ("deadlock: ..."), and its schedules (kept flat for callers
  // that look at one failure).
  std::optional<std::string> failure;
  FailureKind kind = FailureKind::kAssertion;
  std::string schedule;
  uint64_t steps = 0;
  uint64_t preemptions = 0;
  std::string minimized;
  uint64_t minimized_steps = 0;
  uint64_t minimized_preemptions = 0;
  std::optional<std::string> minimized_failure;
  bool ok() const { return failures.empty(); }
  std::string Describe() const;
};
std::ostream& operator<<(std::ostream& os, const ConcurrencyReport& report);

ConcurrencyReport CheckRandom(const Body& body, uint64_t iterations, uint64_t seed = 1,
                              const CheckOptions& options = {});
ConcurrencyReport CheckPct(const Body& body, uint64_t iterations, uint32_t depth, uint64_t seed = 1,
                           const CheckOptions& options = {});
// Takes turns among random and PCT at depths 1 to 3 (PortfolioStrategy::Default); each failure
// names the member that found it.
ConcurrencyReport CheckPortfolio(const Body& body, uint64_t iterations, uint64_t seed = 1,
                                 const CheckOptions& options = {});
// Every schedule with at most `preemption_bound` preemptions, up to `schedules_max`.
ConcurrencyReport CheckDfs(const Body& body, uint32_t preemption_bound,
                           uint64_t schedules_max = 1'000'000, const CheckOptions& options = {});
// Iterative preemption bounding: DFS with bound 0, 1, ... `bound_max`, up to `schedules_max`.
ConcurrencyReport CheckIterativeDfs(const Body& body, uint32_t bound_max,
                                    uint64_t schedules_max = 1'000'000,
                                    const CheckOptions& options = {});
// Delay bounding: every schedule that deviates from round-robin by at most `delay_bound` delays.
ConcurrencyReport CheckDelayBounded(const Body& body, uint32_t delay_bound,
                                    uint64_t schedules_max = 1'000'000,
                                    const CheckOptions& options = {});
// Any strategy, `iterations` runs (or until it has no more).
ConcurrencyReport Check(const Body& body, Strategy& strategy, uint64_t iterations, std::string name,
                        const CheckOptions& options = {});
// One run of a printed schedule ("sched1:..."); failure when the schedule does not parse.
ConcurrencyReport Replay(const Body& body, std::string_view schedule,
                         const CheckOptions& options = {});

// Reduces a failing run's schedule while it still fails the same way (and, if it needed unusual
// choices, still takes one); returns the smallest such run.
ScheduleRun MinimizeSchedule(const Body& body, const ScheduleRun& failing, Scheduler& scheduler,
                             int replays_max = 2000);

}  // namespace shardstore::checker
