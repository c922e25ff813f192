// The deterministic scheduler on classic small programs: each bug is found, its schedule
// replays bit for bit and minimizes; a correct program explored exhaustively reports nothing.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "shardstore/checker/concurrency_check.h"
#include "shardstore/checker/store_concurrency.h"
#include "shardstore/sim/seeded_bug.h"
#include "shardstore/sync.h"

namespace shardstore::checker {
namespace {

void Require(bool condition, const std::string& what) {
  if (!condition) throw std::runtime_error(what);
}

// Two threads each add one to a counter with a separate load and store.
void LostUpdate() {
  sync::Atomic<int> counter(0);
  auto add = [&] { counter.Store(counter.Load() + 1); };
  sync::Thread a(add), b(add);
  a.Join();
  b.Join();
  Require(counter.Load() == 2, "lost update: counter is " + std::to_string(counter.Load()));
}

// The same with a mutex around the read-modify-write: correct.
void LockedCounter() {
  sync::Mutex mu;
  int counter = 0;
  auto add = [&] {
    sync::LockGuard lock(mu);
    ++counter;
  };
  sync::Thread a(add), b(add), c(add);
  a.Join();
  b.Join();
  c.Join();
  Require(counter == 3, "counter is " + std::to_string(counter));
}

// Two threads take two locks in opposite orders.
void LockOrder() {
  sync::Mutex first, second;
  sync::Thread a([&] {
    sync::LockGuard one(first);
    sync::LockGuard two(second);
  });
  sync::Thread b([&] {
    sync::LockGuard two(second);
    sync::LockGuard one(first);
  });
  a.Join();
  b.Join();
}

// The notifier sets the flag without the lock: the waiter can check, miss the notify, and wait
// for ever.
void MissedWakeup() {
  sync::Mutex mu;
  sync::CondVar cv;
  sync::Atomic<bool> ready(false);
  sync::Thread waiter([&] {
    sync::UniqueLock lock(mu);
    if (!ready.Load()) cv.Wait(lock);
  });
  sync::Thread notifier([&] {
    ready.Store(true);
    cv.NotifyOne();
  });
  waiter.Join();
  notifier.Join();
}

TEST(SchedulerTest, FindsALostUpdateReplaysAndMinimizes) {
  const ConcurrencyReport report = CheckRandom(LostUpdate, 1000, /*seed=*/7);
  ASSERT_FALSE(report.ok()) << report;
  EXPECT_NE(report.failure->find("lost update"), std::string::npos) << report;
  // Fewer preemptions first (then fewer steps): one switch between a load and its store.
  EXPECT_LT(report.minimized_preemptions, report.preemptions) << report;
  EXPECT_EQ(report.minimized_preemptions, 1u) << report;
  // Bit for bit: the same schedule fails the same way every time.
  for (const std::string& schedule : {report.schedule, report.minimized}) {
    const ConcurrencyReport replayed = Replay(LostUpdate, schedule);
    ASSERT_FALSE(replayed.ok()) << schedule;
    EXPECT_EQ(replayed.schedule, schedule);
  }
  EXPECT_EQ(*Replay(LostUpdate, report.schedule).failure, *report.failure);
}

TEST(SchedulerTest, FindsALockOrderDeadlockAndSaysWhoWaitsOnWhat) {
  const ConcurrencyReport report = CheckPct(LockOrder, 1000, /*depth=*/2, /*seed=*/3);
  ASSERT_FALSE(report.ok()) << report;
  EXPECT_NE(report.failure->find("deadlock"), std::string::npos) << report;
  EXPECT_NE(report.failure->find("fiber 1 waits for mutex"), std::string::npos) << report;
  EXPECT_NE(report.failure->find("fiber 2 waits for mutex"), std::string::npos) << report;
  EXPECT_FALSE(Replay(LockOrder, report.minimized).ok());
}

TEST(SchedulerTest, FindsAMissedWakeup) {
  const ConcurrencyReport report = CheckDfs(MissedWakeup, /*preemption_bound=*/2);
  ASSERT_FALSE(report.ok()) << report;
  EXPECT_NE(report.failure->find("condition variable 1"), std::string::npos) << report;
  EXPECT_FALSE(Replay(MissedWakeup, report.minimized).ok());
}

TEST(SchedulerTest, DfsExploresACorrectProgramExhaustively) {
  const ConcurrencyReport report = CheckDfs(LockedCounter, /*preemption_bound=*/2);
  EXPECT_TRUE(report.ok()) << report;
  EXPECT_TRUE(report.exhausted);
  EXPECT_GT(report.schedules, 10u);
  // A larger bound means more schedules, and the search still ends.
  const ConcurrencyReport wider = CheckDfs(LockedCounter, /*preemption_bound=*/3);
  EXPECT_TRUE(wider.ok()) << wider;
  EXPECT_TRUE(wider.exhausted);
  EXPECT_GT(wider.schedules, report.schedules);
  std::cout << "DFS schedules of a 3-thread locked counter: " << report.schedules
            << " within 2 preemptions, " << wider.schedules << " within 3\n";
}

TEST(SchedulerTest, StrategiesAreFunctionsOfTheirSeed) {
  EXPECT_EQ(CheckRandom(LostUpdate, 1000, 11).schedule, CheckRandom(LostUpdate, 1000, 11).schedule);
  EXPECT_EQ(CheckPct(LostUpdate, 1000, 2, 5).schedule, CheckPct(LostUpdate, 1000, 2, 5).schedule);
}

TEST(SchedulerTest, ALivelockHitsTheStepBound) {
  SchedulerOptions options;
  options.steps_max = 500;
  const ConcurrencyReport report = CheckRandom(
      [] {
        sync::Atomic<bool> stop(false);
        sync::Thread spinner([&] {
          while (!stop.Load()) sync::Yield();
        });
        spinner.Join();  // nobody sets stop
      },
      1, 1, options);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.failure->find("no end after 500"), std::string::npos) << report;
}

TEST(ScheduleTest, EncodesAndDecodes) {
  const Schedule schedule = {0, 0, 0, 1, 2, 2, 0};
  EXPECT_EQ(EncodeSchedule(schedule), "sched1:0*3.1.2*2.0");
  EXPECT_EQ(DecodeSchedule("sched1:0*3.1.2*2.0"), schedule);
  EXPECT_EQ(DecodeSchedule("sched1:"), Schedule{});
  for (const char* bad :
       {"0*3", "sched1:0*", "sched1:0*0", "sched1:0.", "sched1:x", "sched1:0..1"}) {
    EXPECT_FALSE(DecodeSchedule(bad)) << bad;
  }
}

// The engine under the scheduler: the clean store's histories are linearizable, in every
// harness, under every strategy.
TEST(StoreConcurrencyTest, CleanStoreIsLinearizable) {
  for (StoreWorkload workload : AllStoreWorkloads()) {
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      const Body body = StoreConcurrencyBody(workload, seed);
      const ConcurrencyReport portfolio = CheckPortfolio(body, 40, seed);
      EXPECT_TRUE(portfolio.ok()) << StoreWorkloadName(workload) << ": " << portfolio;
    }
    const ConcurrencyReport dfs = CheckDfs(StoreConcurrencyBody(workload, 1), 1, 40);
    EXPECT_TRUE(dfs.ok()) << StoreWorkloadName(workload) << ": " << dfs;
  }
}

// Each seeded concurrency bug is found by some harness, and its minimized schedule replays the
// failure.
TEST(StoreConcurrencyTest, FindsTheSeededConcurrencyBugs) {
  if (!seeded::CompiledIn()) GTEST_SKIP() << "built without SHARDSTORE_SEEDED_BUGS";
  for (const seeded::BugInfo& bug : seeded::AllBugs()) {
    if (bug.bug_class != seeded::BugClass::kConcurrency) continue;
    const seeded::Scope scope(bug.bug);
    std::optional<ConcurrencyReport> found;
    std::optional<StoreWorkload> where;
    uint64_t seed_of = 0;
    for (uint64_t seed = 1; seed <= 10 && !found; ++seed) {
      for (StoreWorkload workload : AllStoreWorkloads()) {
        ConcurrencyReport report = CheckPortfolio(StoreConcurrencyBody(workload, seed), 100, seed);
        if (!report.ok()) {
          found = std::move(report);
          where = workload;
          seed_of = seed;
          break;
        }
      }
    }
    ASSERT_TRUE(found) << bug.name << " was not found";
    EXPECT_LE(found->minimized_preemptions, found->preemptions) << *found;
    // The minimized schedule fails the way the found one did.
    const ConcurrencyReport replayed =
        Replay(StoreConcurrencyBody(*where, seed_of), found->minimized);
    ASSERT_FALSE(replayed.ok()) << bug.name << ": the minimized schedule passes";
    EXPECT_TRUE(replayed.failures.front().failure.SameAs(found->failures.front().failure))
        << bug.name << ": found " << *found->failure << "\nreplayed " << *replayed.failure;
    std::cout << bug.name << " [" << StoreWorkloadName(*where) << "]: " << *found << "\n";
  }
}

}  // namespace
}  // namespace shardstore::checker
