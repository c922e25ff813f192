// How often each strategy hits bugs of a known depth, next to PCT's guaranteed bound
// 1/(n * k^(d-1)) for the same program (n fibers, k steps of its longest run), in one run.
//
// Beside the published PCT it runs the variant this project had before (change points sorted by
// when they fall, each later one given a lower priority), to show the bugs that variant cannot
// reach: with sorted priorities a thread lowered later always ranks below one lowered earlier.
//
//   pct_hit_rate [--runs N] [--seed S]
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "checker/concurrency_programs.h"
#include "shardstore/assert.h"
#include "shardstore/checker/schedule_strategy.h"
#include "shardstore/checker/scheduler.h"
#include "shardstore/random.h"

namespace {

using shardstore::Random;
using namespace shardstore::checker;

// The former variant: change points sorted, the i-th to fall gives priority depth-1-i, and it
// lowers whichever fiber reached the point, runnable or not.
class SortedPctStrategy final : public Strategy {
 public:
  SortedPctStrategy(uint64_t seed, uint32_t depth) : random_(seed), depth_(depth) {}
  void BeginRun() override {
    priority_.clear();
    change_steps_.clear();
    for (uint32_t i = 1; i < depth_; ++i) change_steps_.push_back(random_.Next() % estimate_);
    std::sort(change_steps_.begin(), change_steps_.end());
    next_low_ = depth_ - 1;
  }
  void OnSpawn(FiberId fiber) override {
    if (priority_.size() <= fiber) priority_.resize(fiber + 1, 0);
    priority_[fiber] = depth_ + static_cast<int64_t>(random_.Next() >> 24);
  }
  FiberId Pick(const PickPoint& point) override {
    longest_ = std::max(longest_, point.step + 1);
    for (uint64_t change : change_steps_) {
      if (change == point.step && point.current < priority_.size()) {
        priority_[point.current] = next_low_--;
      }
    }
    FiberId best = point.runnable[0];
    for (FiberId fiber : point.runnable) {
      if (priority_[fiber] > priority_[best]) best = fiber;
    }
    return best;
  }
  bool NextRun() override {
    estimate_ = std::max<uint64_t>(1, longest_);
    return true;
  }

 private:
  Random random_;
  const uint32_t depth_;
  uint64_t estimate_ = 64;
  uint64_t longest_ = 0;
  std::vector<int64_t> priority_;
  std::vector<uint64_t> change_steps_;
  int64_t next_low_ = 0;
};

struct Hits {
  uint64_t hits = 0;
  uint64_t steps_max = 0;
  uint32_t fibers = 0;
};

Hits Count(const std::function<void()>& body, Strategy& strategy, uint64_t runs) {
  Scheduler scheduler;
  Hits hits;
  for (uint64_t run = 0; run < runs; ++run) {
    const ScheduleRun result = scheduler.Run(body, strategy);
    hits.steps_max = std::max(hits.steps_max, result.steps());
    uint32_t fibers = 0;
    for (FiberId entry : result.schedule) {
      if (!IsChoice(entry)) fibers = std::max(fibers, entry + 1);
    }
    hits.fibers = std::max(hits.fibers, fibers);
    if (result.failure) ++hits.hits;
    strategy.NextRun();
  }
  return hits;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t runs = 100'000, seed = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      runs = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else {
      fmt::print(stderr, "usage: pct_hit_rate [--runs N] [--seed S]\n");
      return 2;
    }
  }
  shardstore::SetAssertMode(shardstore::AssertMode::kThrow);
  struct Program {
    const char* name;
    void (*body)();
    uint32_t depth;
  };
  fmt::print("{:<24} {:>5} {:<14} {:>9} {:>10} {:>12} {:>8}\n", "program", "depth", "strategy",
             "hits", "hit rate", "PCT bound", "ratio");
  for (const Program& p : {Program{"one-inversion", programs::OneInversion, 2},
                           Program{"ordered-change-points", programs::OrderedChangePoints, 3}}) {
    std::vector<std::pair<std::string, std::unique_ptr<Strategy>>> strategies;
    strategies.emplace_back("random", std::make_unique<RandomStrategy>(seed));
    strategies.emplace_back("pct", std::make_unique<PctStrategy>(seed, p.depth));
    strategies.emplace_back("pct-sorted", std::make_unique<SortedPctStrategy>(seed, p.depth));
    for (auto& [name, strategy] : strategies) {
      const Hits hits = Count(p.body, *strategy, runs);
      const double rate = static_cast<double>(hits.hits) / static_cast<double>(runs);
      const double bound =
          1.0 / (hits.fibers * std::pow(static_cast<double>(hits.steps_max), p.depth - 1));
      fmt::print("{:<24} {:>5} {:<14} {:>9} {:>10.6f} {:>12.6f} {:>8.2f}\n", p.name, p.depth, name,
                 hits.hits, rate, bound, rate / bound);
    }
  }
  return 0;
}
