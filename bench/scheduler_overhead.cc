// Scheduler overhead: the cost of one scheduling point of the deterministic scheduler next to a
// bare Boost.Context fiber switch, both measured in this run. Target: a point costs <= 10x a
// bare switch. Also schedules per second on a small concurrent body (two threads, a shared
// counter under a mutex) and on the engine's concurrency harnesses (store_concurrency.h: a
// fresh store, its threads and the linearizability check of the history, per schedule), the
// rate at which CheckRandom/CheckPct/CheckPortfolio explore.
//
//   scheduler_overhead [--switches N] [--schedules N] [--engine-schedules N] [--rounds R]
//
// One core, one thread. The best of R rounds is reported (worst in parentheses).
#include <fmt/core.h>

#include <algorithm>
#include <boost/context/fiber.hpp>
#include <cstring>

#include "bench_util.h"
#include "shardstore/checker/concurrency_check.h"
#include "shardstore/checker/store_concurrency.h"
#include "shardstore/sync.h"

namespace shardstore::bench {
namespace {

namespace context = boost::context;

// Nanoseconds per switch: a fiber and the main context hand control back and forth.
double BareSwitchNs(uint64_t switches) {
  uint64_t count = 0;
  context::fiber fiber([&count, switches](context::fiber&& main) {
    while (count < switches) {
      ++count;
      main = std::move(main).resume();
    }
    return std::move(main);
  });
  const Clock::time_point start = Clock::now();
  while (fiber) fiber = std::move(fiber).resume();
  // Each loop turn is two switches (into the fiber, back to main).
  return Seconds(start) * 1e9 / static_cast<double>(2 * switches);
}

// Nanoseconds per scheduling point: one fiber passes `points` points under the scheduler (a
// point is a switch to the scheduler loop, the strategy's pick, and a switch back): atomic loads,
// the commonest point, or yields (which also note whom the fiber yields to, for fairness).
double SchedulingPointNs(uint64_t points, bool yields) {
  checker::SchedulerOptions options;
  options.steps_max = points + 16;
  checker::Scheduler scheduler(options);
  checker::RandomStrategy strategy(1);
  const Clock::time_point start = Clock::now();
  const checker::ScheduleRun run = scheduler.Run(
      [points, yields] {
        sync::Atomic<uint64_t> value(0);
        for (uint64_t i = 0; i < points; ++i) {
          if (yields) {
            sync::Yield();
          } else {
            value.Load();
          }
        }
      },
      strategy);
  const double seconds = Seconds(start);
  if (run.failure) Die("scheduler_overhead", run.failure->ToString());
  return seconds * 1e9 / static_cast<double>(run.steps());
}

void TwoThreadCounter() {
  sync::Mutex mu;
  int counter = 0;
  auto add = [&] {
    for (int i = 0; i < 4; ++i) {
      sync::LockGuard lock(mu);
      ++counter;
    }
  };
  sync::Thread a(add), b(add);
  a.Join();
  b.Join();
  if (counter != 8) throw std::runtime_error("lost an increment");
}

int Main(int argc, char** argv) {
  uint64_t switches = 2'000'000, schedules = 20'000, engine_schedules = 5'000, rounds = 3;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (!std::strcmp(argv[i], "--switches") && has_value) {
      switches = ParseNumber(argv[0], argv[i], argv[i + 1]);
      ++i;
    } else if (!std::strcmp(argv[i], "--schedules") && has_value) {
      schedules = ParseNumber(argv[0], argv[i], argv[i + 1]);
      ++i;
    } else if (!std::strcmp(argv[i], "--engine-schedules") && has_value) {
      engine_schedules = ParseNumber(argv[0], argv[i], argv[i + 1]);
      ++i;
    } else if (!std::strcmp(argv[i], "--rounds") && has_value) {
      rounds = ParseNumber(argv[0], argv[i], argv[i + 1]);
      ++i;
    } else {
      fmt::print(stderr,
                 "usage: {} [--switches N] [--schedules N] [--engine-schedules N] [--rounds R]\n",
                 argv[0]);
      return 2;
    }
  }
  double bare_best = 1e18, bare_worst = 0, point_best = 1e18, point_worst = 0;
  double yield_best = 1e18, yield_worst = 0;
  double random_best = 0, random_worst = 1e18, pct_best = 0, pct_worst = 1e18;
  for (uint64_t r = 0; r < rounds; ++r) {
    const double bare = BareSwitchNs(switches);
    const double point = SchedulingPointNs(switches / 2, /*yields=*/false);
    const double yield = SchedulingPointNs(switches / 2, /*yields=*/true);
    yield_best = std::min(yield_best, yield);
    yield_worst = std::max(yield_worst, yield);
    bare_best = std::min(bare_best, bare);
    bare_worst = std::max(bare_worst, bare);
    point_best = std::min(point_best, point);
    point_worst = std::max(point_worst, point);
    const checker::ConcurrencyReport random =
        checker::CheckRandom(TwoThreadCounter, static_cast<int>(schedules), r + 1);
    const checker::ConcurrencyReport pct =
        checker::CheckPct(TwoThreadCounter, static_cast<int>(schedules), 3, r + 1);
    if (!random.ok() || !pct.ok()) Die(argv[0], "a correct body failed");
    random_best = std::max(random_best, random.schedules / random.seconds);
    random_worst = std::min(random_worst, random.schedules / random.seconds);
    pct_best = std::max(pct_best, pct.schedules / pct.seconds);
    pct_worst = std::min(pct_worst, pct.schedules / pct.seconds);
  }
  fmt::print("bare Boost.Context switch   {:7.1f} ns ({:.1f})\n", bare_best, bare_worst);
  fmt::print("scheduling point            {:7.1f} ns ({:.1f})\n", point_best, point_worst);
  fmt::print("point / bare switch         {:7.1f}x (target <= 10x)\n", point_best / bare_best);
  fmt::print("yield point                 {:7.1f} ns ({:.1f})\n", yield_best, yield_worst);
  fmt::print(
      "schedules/s, 2 threads x 4 locked increments: random {:.0f} ({:.0f}), pct(3) {:.0f} "
      "({:.0f})\n",
      random_best, random_worst, pct_best, pct_worst);
  for (checker::StoreWorkload workload : checker::AllStoreWorkloads()) {
    double best = 0, worst = 1e18;
    for (uint64_t r = 0; r < rounds; ++r) {
      const checker::ConcurrencyReport report =
          checker::CheckPortfolio(checker::StoreConcurrencyBody(workload, r + 1),
                                  static_cast<int>(engine_schedules), r + 1);
      if (!report.ok()) Die(argv[0], "the clean engine failed a concurrency harness");
      best = std::max(best, report.schedules / report.seconds);
      worst = std::min(worst, report.schedules / report.seconds);
    }
    fmt::print("schedules/s, engine harness {:<16} portfolio {:.0f} ({:.0f})\n",
               checker::StoreWorkloadName(workload), best, worst);
  }
  return 0;
}

}  // namespace
}  // namespace shardstore::bench

int main(int argc, char** argv) { return shardstore::bench::Main(argc, argv); }
