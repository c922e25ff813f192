// The deterministic scheduler's verdicts on small programs with known answers: correct programs
// (spin-waits included) are never reported under any strategy, PCT finds bugs of a known depth at
// least as often as its bound promises, a minimized schedule fails the way the found one did, a
// search goes on past a livelock, and every misuse is reported as misuse.
#include "checker/concurrency_programs.h"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <string>

#include "shardstore/checker/concurrency_check.h"
#include "shardstore/sync.h"

namespace shardstore::checker {
namespace {

using programs::Program;

// Small bodies: a livelock shows within a few thousand steps.
CheckOptions Short() {
  SchedulerOptions scheduler;
  scheduler.steps_max = 2000;
  return CheckOptions(scheduler);
}

TEST(ConcurrencyProgramsTest, CorrectProgramsPassUnderEveryStrategy) {
  for (const Program& program : programs::CorrectPrograms()) {
    SCOPED_TRACE(program.name);
    EXPECT_TRUE(CheckRandom(program.body, 2000, 1, Short()).ok())
        << CheckRandom(program.body, 2000, 1, Short());
    for (uint32_t depth = 1; depth <= 3; ++depth) {
      const ConcurrencyReport pct = CheckPct(program.body, 2000, depth, depth, Short());
      EXPECT_TRUE(pct.ok()) << pct;
    }
    const ConcurrencyReport portfolio = CheckPortfolio(program.body, 2000, 7, Short());
    EXPECT_TRUE(portfolio.ok()) << portfolio;
    // Every schedule within two preemptions (unusual choices count as preemptions).
    const ConcurrencyReport dfs = CheckDfs(program.body, 2, 1'000'000, Short());
    EXPECT_TRUE(dfs.ok()) << dfs;
    EXPECT_TRUE(dfs.exhausted) << dfs;
    const ConcurrencyReport ipb = CheckIterativeDfs(program.body, 2, 1'000'000, Short());
    EXPECT_TRUE(ipb.ok()) << ipb;
    EXPECT_TRUE(ipb.exhausted) << ipb;
    const ConcurrencyReport delay = CheckDelayBounded(program.body, 2, 1'000'000, Short());
    EXPECT_TRUE(delay.ok()) << delay;
    EXPECT_TRUE(delay.exhausted) << delay;
    std::cout << program.name << ": DFS(2) " << dfs.schedules << " schedules, IPB(2) "
              << ipb.schedules << ", delay(2) " << delay.schedules << "\n";
  }
}

// Thread 2 lowered after thread 1 must rank above it: published PCT draws the change points'
// priorities in the order drawn, not sorted by when they fall.
TEST(ConcurrencyProgramsTest, PctFindsABugNeedingTwoOrderedChangePoints) {
  for (uint64_t seed : {1, 2, 3}) {
    const ConcurrencyReport report = CheckPct(programs::OrderedChangePoints, 10'000, 3, seed);
    ASSERT_FALSE(report.ok()) << "seed " << seed << ": " << report;
    EXPECT_EQ(report.kind, FailureKind::kAssertion) << report;
    std::cout << "seed " << seed << ": found after " << report.schedules << " schedules\n";
  }
}

// Over many runs PCT(d) hits a bug of depth d at least as often as 1/(n * k^(d-1)), n fibers and
// k the steps of a run.
TEST(ConcurrencyProgramsTest, PctHitRateStaysAboveItsBound) {
  struct Case {
    const char* name;
    void (*body)();
    uint32_t depth;
    uint32_t fibers;
    uint64_t runs;
  };
  for (const Case& c :
       {Case{"one-inversion", programs::OneInversion, 2, 3, 4000},
        Case{"ordered-change-points", programs::OrderedChangePoints, 3, 4, 30000}}) {
    PctStrategy strategy(/*seed=*/11, c.depth);
    Scheduler scheduler;
    uint64_t hits = 0, steps_max = 0;
    for (uint64_t run = 0; run < c.runs; ++run) {
      const ScheduleRun result = scheduler.Run(c.body, strategy);
      steps_max = std::max(steps_max, result.steps());
      if (result.failure) {
        EXPECT_EQ(result.failure->kind, FailureKind::kAssertion) << result.failure->ToString();
        ++hits;
      }
      strategy.NextRun();
    }
    const double bound = 1.0 / (c.fibers * std::pow(static_cast<double>(steps_max), c.depth - 1));
    const double rate = static_cast<double>(hits) / static_cast<double>(c.runs);
    std::cout << c.name << ": PCT(" << c.depth << ") hit " << hits << " of " << c.runs << " runs ("
              << rate << "), bound 1/(" << c.fibers << "*" << steps_max << "^" << c.depth - 1
              << ") = " << bound << "\n";
    EXPECT_GE(rate, bound) << c.name;
  }
}

// Property: over the seeded programs, strategies and seeds, every failure found minimizes to a
// schedule that replays to the same failure (kind, and message for assertions).
TEST(ConcurrencyProgramsTest, MinimizedSchedulesReplayToTheSameFailure) {
  uint64_t checked = 0;
  for (const Program& program : programs::BuggyPrograms()) {
    // Two seeds keep this under three minutes under ASan; each program fails several ways.
    for (uint64_t seed = 1; seed <= 2; ++seed) {
      for (const ConcurrencyReport& report : {CheckPortfolio(program.body, 3000, seed, Short()),
                                              CheckRandom(program.body, 3000, seed, Short())}) {
        ASSERT_FALSE(report.ok()) << program.name << " seed " << seed << " was not found";
        for (const FoundFailure& found : report.failures) {
          const ConcurrencyReport replayed = Replay(program.body, found.minimized, Short());
          ASSERT_FALSE(replayed.ok()) << program.name << ": " << found.minimized;
          EXPECT_TRUE(replayed.failures.front().failure.SameAs(found.failure))
              << program.name << " seed " << seed << ": found " << found.failure.ToString()
              << "\nreplayed " << replayed.failures.front().failure.ToString();
          EXPECT_LE(found.minimized_preemptions, found.preemptions) << program.name;
          ++checked;
        }
      }
    }
  }
  std::cout << checked << " minimized failures replayed\n";
}

// The lost update is reachable; so is a livelock with fewer preemptions. The minimizer keeps the
// lost update, and the search does not stop at the livelock.
TEST(ConcurrencyProgramsTest, ALostUpdateDoesNotMinimizeIntoALivelock) {
  const ConcurrencyReport zero = CheckDfs(programs::LostUpdateBesideASpin, 0, 1'000'000, Short());
  ASSERT_FALSE(zero.ok());
  bool livelock_without_preemption = false;
  for (const FoundFailure& found : zero.failures) {
    livelock_without_preemption |= found.failure.kind == FailureKind::kLivelock;
  }
  EXPECT_TRUE(livelock_without_preemption) << zero;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const ConcurrencyReport report =
        CheckRandom(programs::LostUpdateBesideASpin, 5000, seed, Short());
    ASSERT_FALSE(report.ok());
    ASSERT_EQ(report.kind, FailureKind::kAssertion) << report;
    EXPECT_NE(report.failure->find("lost update"), std::string::npos) << report;
    ASSERT_TRUE(report.minimized_failure);
    EXPECT_NE(report.minimized_failure->find("lost update"), std::string::npos) << report;
    EXPECT_GE(report.minimized_preemptions, 1u) << report;
  }
}

TEST(ConcurrencyProgramsTest, SearchesGoOnPastALivelockUnlessToldToStop) {
  // DFS meets the livelock first (no preemption needed), then the lost update.
  const ConcurrencyReport both = CheckDfs(programs::LostUpdateBesideASpin, 1, 1'000'000, Short());
  ASSERT_EQ(both.failures.size(), 2u) << both;
  EXPECT_EQ(both.failures[0].failure.kind, FailureKind::kAssertion) << both;
  EXPECT_EQ(both.failures[1].failure.kind, FailureKind::kLivelock) << both;
  CheckOptions first = Short();
  first.stop_at_first = true;
  const ConcurrencyReport stopped = CheckDfs(programs::LostUpdateBesideASpin, 1, 1'000'000, first);
  ASSERT_EQ(stopped.failures.size(), 1u) << stopped;
  EXPECT_EQ(stopped.kind, FailureKind::kLivelock) << stopped;
  EXPECT_LT(stopped.schedules, both.schedules);
}

TEST(ConcurrencyProgramsTest, SpinnersWaitingOnEachOtherAreALivelock) {
  for (const ConcurrencyReport& report : {CheckRandom(programs::PoliteSpinners, 10, 1, Short()),
                                          CheckPct(programs::PoliteSpinners, 10, 3, 1, Short()),
                                          CheckDfs(programs::PoliteSpinners, 1, 10, Short())}) {
    ASSERT_FALSE(report.ok()) << report;
    EXPECT_EQ(report.kind, FailureKind::kLivelock) << report;
  }
}

TEST(ConcurrencyProgramsTest, MisuseIsReportedAsMisuseNamingTheFibers) {
  struct Case {
    void (*body)();
    const char* says;
  };
  for (const Case& c :
       {Case{programs::UnlockByNonOwner, "fiber 2 unlocks mutex 1, held by fiber 1"},
        Case{programs::ExitHoldingMutex, "fiber 1 ended holding mutex 1"},
        Case{programs::BodyReturnsEarly, "the body (fiber 0) returned"},
        Case{programs::IfInsteadOfWhile, "fiber 1 woke from condition variable 1 without a notify"},
        Case{programs::RelyOnNotifyOrder,
             "a NotifyOne of condition variable 1 woke fiber 2, not the longest waiting fiber 1"},
        Case{programs::RelyOnWeakCasSucceeding,
             "a compare_exchange_weak of atomic 1 by fiber 1 failed spuriously"}}) {
    SCOPED_TRACE(c.says);
    for (const ConcurrencyReport& report :
         {CheckPortfolio(c.body, 3000, 1, Short()), CheckDfs(c.body, 2, 100'000, Short())}) {
      ASSERT_FALSE(report.ok()) << report;
      EXPECT_EQ(report.kind, FailureKind::kMisuse) << report;
      EXPECT_NE(report.failure->find(c.says), std::string::npos) << report;
    }
  }
}

TEST(ConcurrencyProgramsTest, WithoutChoicesTheWaitNotInALoopGoesUnseen) {
  // The plain outcome of every choice: the program only fails when the primitives do what they
  // are allowed to.
  CheckOptions plain = Short();
  plain.scheduler.choices = false;
  EXPECT_TRUE(CheckDfs(programs::IfInsteadOfWhile, 2, 100'000, plain).ok());
  EXPECT_TRUE(CheckDfs(programs::RelyOnWeakCasSucceeding, 2, 100'000, plain).ok());
}

TEST(ConcurrencyProgramsTest, ReportsCountStepsAndHonourATimeBudget) {
  const ConcurrencyReport report = CheckRandom(programs::SpinlockCounter, 100, 1, Short());
  ASSERT_TRUE(report.ok()) << report;
  EXPECT_EQ(report.schedules, 100u);
  EXPECT_GE(report.steps_total, 100 * report.steps_max / 4);
  EXPECT_GT(report.steps_max, 10u);
  CheckOptions budget = Short();
  budget.time_budget_seconds = 0.05;
  const ConcurrencyReport timed = CheckRandom(programs::SpinlockCounter, UINT64_MAX, 1, budget);
  EXPECT_TRUE(timed.ok());
  EXPECT_TRUE(timed.budget_spent);
  EXPECT_GT(timed.schedules, 0u);
}

TEST(AtomicTest, OperationsOutsideAScheduler) {
  sync::Atomic<int> x(5);
  EXPECT_EQ(x.Exchange(7), 5);
  EXPECT_EQ(x.FetchSub(2), 7);
  EXPECT_EQ(x.FetchOr(8), 5);
  EXPECT_EQ(x.FetchAnd(12), 13);
  EXPECT_EQ(x.FetchXor(1), 12);
  EXPECT_EQ(x.Load(), 13);
  int expected = 13;
  bool swapped = false;
  for (int i = 0; i < 100 && !swapped; ++i) swapped = x.CompareExchangeWeak(expected, 20);
  EXPECT_TRUE(swapped);
  expected = 0;
  EXPECT_FALSE(x.CompareExchange(expected, 1));
  EXPECT_EQ(expected, 20);
}

}  // namespace
}  // namespace shardstore::checker
