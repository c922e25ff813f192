// Strategies of the deterministic scheduler: at every scheduling point, which fiber runs next.
//
// A Schedule is the list of fibers chosen at the scheduling points of one run, in order; it
// prints as a replay string ("sched1:0*4.1*2.0*3": fiber 0 four times, then 1 twice, ...).
// Every strategy records what it chose, so any run replays bit for bit with ReplayStrategy.
//
//   Random  — a seeded uniform choice among the runnable fibers.
//   PCT     — probabilistic concurrency testing (Burckhardt et al., ASPLOS '10): fibers get
//             random distinct priorities, the highest runnable one runs, and at d-1 random
//             steps the running fiber drops to the lowest priority. A bug of depth d is found
//             with probability at least 1/(n * k^(d-1)) per run (n fibers, k steps).
//   DFS     — every schedule with at most `preemption_bound` preemptions (switching away from a
//             fiber that could have continued), depth first; exhaustive for small bodies.
//   Replay  — a recorded schedule; where it names a fiber that cannot run (after an edit, by
//             the minimizer), the current fiber continues, or else the lowest runnable one.
//
// Thread-safety: not thread-safe; one per scheduler run.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/random.h"

namespace shardstore::checker {

using FiberId = uint32_t;
using Schedule = std::vector<FiberId>;

std::string EncodeSchedule(const Schedule& schedule);  // "sched1:0*4.1*2"
std::optional<Schedule> DecodeSchedule(std::string_view text);

class Strategy {
 public:
  virtual ~Strategy() = default;
  // A run begins (fiber 0, the body, exists).
  virtual void BeginRun() {}
  virtual void OnSpawn(FiberId /*fiber*/) {}
  // Picks the fiber to run at scheduling point `step` (from 0) among `runnable` (ascending,
  // not empty). `current` is the fiber that reached the point (it may be blocked or done).
  virtual FiberId Pick(std::span<const FiberId> runnable, FiberId current, uint64_t step) = 0;
  // After a run: prepares the next one; false when the strategy has no more (DFS done).
  virtual bool NextRun() { return true; }
};

class RandomStrategy final : public Strategy {
 public:
  explicit RandomStrategy(uint64_t seed) : random_(seed) {}
  FiberId Pick(std::span<const FiberId> runnable, FiberId current, uint64_t step) override;

 private:
  Random random_;
};

class PctStrategy final : public Strategy {
 public:
  // `steps_estimate`: the expected length of a run in scheduling points (change points are
  // drawn below it); it grows to the longest run seen.
  PctStrategy(uint64_t seed, uint32_t depth, uint64_t steps_estimate = 64);
  void BeginRun() override;
  void OnSpawn(FiberId fiber) override;
  FiberId Pick(std::span<const FiberId> runnable, FiberId current, uint64_t step) override;
  bool NextRun() override;

 private:
  Random random_;
  const uint32_t depth_;
  uint64_t steps_estimate_;
  uint64_t longest_ = 0;
  std::vector<int64_t> priority_;       // by fiber
  std::vector<uint64_t> change_steps_;  // ascending
  int64_t next_low_ = 0;                // the next priority a change point assigns (descending)
  int64_t next_high_ = 0;
};

class DfsStrategy final : public Strategy {
 public:
  explicit DfsStrategy(uint32_t preemption_bound) : bound_(preemption_bound) {}
  void BeginRun() override;
  FiberId Pick(std::span<const FiberId> runnable, FiberId current, uint64_t step) override;
  bool NextRun() override;

 private:
  struct Decision {
    std::vector<FiberId> options;  // in the order tried: the current fiber first
    size_t tried = 0;              // index into options of the one taken
    uint32_t preemptions_before = 0;
    bool current_runnable = false;
  };
  bool IsPreemption(const Decision& d, size_t option) const {
    return d.current_runnable && option != 0;
  }
  const uint32_t bound_;
  std::vector<Decision> stack_;
  size_t depth_ = 0;  // decisions made in this run
  uint32_t preemptions_ = 0;
};

// Takes turns among several strategies, one run each: bugs that one strategy finds slowly
// another may find at once (random for shallow races, PCT at several depths for ordered ones).
class PortfolioStrategy final : public Strategy {
 public:
  struct Member {
    std::string name;
    std::unique_ptr<Strategy> strategy;
  };
  // REQUIRES: members not empty.
  explicit PortfolioStrategy(std::vector<Member> members);
  // Random, then PCT at depths 1, 2 and 3, each seeded from `seed`.
  static PortfolioStrategy Default(uint64_t seed);
  void BeginRun() override { Turn().BeginRun(); }
  void OnSpawn(FiberId fiber) override { Turn().OnSpawn(fiber); }
  FiberId Pick(std::span<const FiberId> runnable, FiberId current, uint64_t step) override {
    return Turn().Pick(runnable, current, step);
  }
  bool NextRun() override;
  // The member whose turn it is (during a run: the one running it).
  const std::string& current_name() const { return members_[turn_].name; }

 private:
  Strategy& Turn() { return *members_[turn_].strategy; }
  std::vector<Member> members_;
  size_t turn_ = 0;
};

// Replays runs of fibers rather than single steps: fiber f for up to n scheduling points, or
// until it blocks or ends, then the next run. Dropping a run from the list removes a switch and
// leaves the rest in order (the minimizer's edits).
class RunListStrategy final : public Strategy {
 public:
  struct Run {
    FiberId fiber;
    uint64_t steps;
  };
  explicit RunListStrategy(std::vector<Run> runs) : runs_(std::move(runs)) {}
  static std::vector<Run> RunsOf(const Schedule& schedule);
  void BeginRun() override {
    next_ = 0;
    used_ = 0;
  }
  FiberId Pick(std::span<const FiberId> runnable, FiberId current, uint64_t step) override;

 private:
  const std::vector<Run> runs_;
  size_t next_ = 0;
  uint64_t used_ = 0;
};

class ReplayStrategy final : public Strategy {
 public:
  explicit ReplayStrategy(Schedule schedule) : schedule_(std::move(schedule)) {}
  FiberId Pick(std::span<const FiberId> runnable, FiberId current, uint64_t step) override;

 private:
  const Schedule schedule_;
};

}  // namespace shardstore::checker
