// Strategies of the deterministic scheduler: at every scheduling point, which fiber runs next, and
// at every choice the primitives allow (a wait that wakes without a notify, which waiter a
// NotifyOne wakes, a compare_exchange_weak that fails), which way it goes.
//
// A Schedule is the list of decisions of one run, in order: the fiber chosen at each scheduling
// point, and, where a choice went another way than the plain one, that choice (a "c" entry). It
// prints as a replay string ("sched1:0*4.1*2.c1.0*3": fiber 0 four times, then 1 twice, a choice
// of 1, ...). Every strategy records what it chose, so any run replays bit for bit with
// ReplayStrategy.
//
//   Random  — a seeded uniform choice among the runnable fibers; rare unusual choices.
//   PCT     — probabilistic concurrency testing as published (Burckhardt et al., ASPLOS '10):
//             fibers get random distinct priorities, the highest runnable one runs; d-1 change
//             points are drawn uniformly over the expected run length, and change point i (in
//             the order drawn) lowers the fiber about to run to priority d-i, below every
//             initial priority. A bug of depth d is found with probability at least
//             1/(n * k^(d-1)) per run (n fibers, k steps). A yielding fiber drops below all.
//   DFS     — every schedule within a bound, depth first; exhaustive for small bodies. The bound
//             counts preemptions (switching away from a fiber that could have continued) or, for
//             delay bounding (Emmi et al., POPL '11), delays: skipping the fiber a round-robin
//             scheduler would run next costs one delay per fiber skipped.
//   Iterative — DFS with bound 0, then 1, then 2, ... (iterative preemption bounding, CHESS).
//   Replay  — a recorded schedule; where it names a fiber that cannot run (after an edit, by
//             the minimizer), the current fiber continues, or else the lowest runnable one.
//
// Yields are fair in every strategy: the scheduler does not offer a fiber that yielded until
// another fiber has made a step (CHESS's fairness), so correct spin-waits end; a real livelock,
// where the spinners only wait on one another, still reaches the step bound.
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

#include "shardstore/random.h"

namespace shardstore::checker {

using FiberId = uint32_t;
// A schedule entry is a fiber id, or kChoiceMark | value for a choice that went value's way.
using Schedule = std::vector<FiberId>;
inline constexpr FiberId kChoiceMark = FiberId{1} << 31;
inline bool IsChoice(FiberId entry) { return (entry & kChoiceMark) != 0; }

std::string EncodeSchedule(const Schedule& schedule);  // "sched1:0*4.1*2.c1"
std::optional<Schedule> DecodeSchedule(std::string_view text);
// Why a text is not a schedule ("fiber id 9999999999 is out of range"), or nullopt if it is one.
std::optional<std::string> ScheduleError(std::string_view text);

// What the fiber that reached a scheduling point is doing there.
enum class PointKind : uint8_t {
  kStart,         // the run begins, or a thread was started
  kLock,          // before taking a mutex (or after being woken to retry)
  kUnlock,        // after releasing a mutex
  kWait,          // a condition-variable wait, before it releases the mutex
  kNotify,        // before a notify
  kAtomic,        // before an atomic operation
  kYield,         // sync::Yield: the fiber asks the others to run
  kIoCompletion,  // a disk operation waited for without a lock has completed
  kJoin,          // before joining a thread
  kBlocked,       // the fiber blocked (on a mutex, a condition variable, a join) or ended
};
std::string_view PointKindName(PointKind kind);

// A choice the primitives leave open; value 0 is always the plain outcome.
enum class ChoiceKind : uint8_t {
  kSpuriousWakeup,  // 2 values: 1 = the wait returns without a notify
  kNotifyWhich,     // n waiters: which one a NotifyOne wakes, 0 = the longest waiting
  kWeakCasFailure,  // 2 values: 1 = compare_exchange_weak fails although the value matched
};

// One scheduling point, as a strategy sees it.
struct PickPoint {
  std::span<const FiberId> runnable;  // ascending, not empty
  FiberId current;                    // the fiber that reached the point (may be blocked or done)
  uint64_t step;                      // index of this decision in the schedule, from 0
  PointKind kind;                     // what `current` is doing there
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  // A run begins (fiber 0, the body, exists).
  virtual void BeginRun() {}
  virtual void OnSpawn(FiberId /*fiber*/) {}
  // Picks the fiber to run among `point.runnable`.
  virtual FiberId Pick(const PickPoint& point) = 0;
  // Decides a choice among `count` values (count >= 2) at decision `step`; 0 is the plain one.
  virtual uint32_t Choose(ChoiceKind /*kind*/, uint32_t /*count*/, uint64_t /*step*/) { return 0; }
  // After a run: prepares the next one; false when the strategy has no more (DFS done).
  virtual bool NextRun() { return true; }
  // What `fiber` said it holds or waits for (sync::Note) after decision `step`; a tracer keeps it.
  virtual void Note(FiberId /*fiber*/, uint64_t /*step*/, const std::string& /*text*/) {}
};

// How often the randomized strategies take an unusual choice: one in this many.
inline constexpr uint32_t kUnusualChoiceOdds = 16;

class RandomStrategy final : public Strategy {
 public:
  explicit RandomStrategy(uint64_t seed) : random_(seed) {}
  FiberId Pick(const PickPoint& point) override;
  uint32_t Choose(ChoiceKind kind, uint32_t count, uint64_t step) override;

 private:
  Random random_;
};

class PctStrategy final : public Strategy {
 public:
  // `steps_estimate`: the expected length of a run in scheduling points for the first run (change
  // points are drawn below it); later runs use the longest run seen.
  PctStrategy(uint64_t seed, uint32_t depth, uint64_t steps_estimate = 64);
  void BeginRun() override;
  void OnSpawn(FiberId fiber) override;
  FiberId Pick(const PickPoint& point) override;
  uint32_t Choose(ChoiceKind kind, uint32_t count, uint64_t step) override;
  bool NextRun() override;
  // The change points of the current run, in the order drawn (tests).
  const std::vector<uint64_t>& change_steps() const { return change_steps_; }

 private:
  FiberId Highest(std::span<const FiberId> runnable) const;
  Random random_;
  const uint32_t depth_;
  uint64_t steps_estimate_;
  uint64_t longest_ = 0;
  bool ran_ = false;
  std::vector<int64_t> priority_;       // by fiber
  std::vector<uint64_t> change_steps_;  // in the order drawn: change point i gives depth - 1 - i
  int64_t yield_low_ = 0;               // the next priority a yield gives (below all others)
};

// Depth-first search over every schedule whose cost stays within a bound.
class DfsStrategy final : public Strategy {
 public:
  enum class Cost : uint8_t {
    kPreemptions,  // a switch away from a fiber that could have continued costs 1
    kDelays,       // skipping k fibers of the round-robin order costs k
  };
  explicit DfsStrategy(uint32_t bound, Cost cost = Cost::kPreemptions)
      : bound_(bound), cost_(cost) {}
  void BeginRun() override;
  FiberId Pick(const PickPoint& point) override;
  uint32_t Choose(ChoiceKind kind, uint32_t count, uint64_t step) override;
  bool NextRun() override;

 private:
  struct Decision {
    std::vector<uint32_t> options;  // fibers (or choice values), in the order tried
    std::vector<uint32_t> costs;    // of each option
    size_t tried = 0;               // index into options of the one taken
    uint32_t spent_before = 0;
  };
  uint32_t Take(Decision d);
  const uint32_t bound_;
  const Cost cost_;
  std::vector<Decision> stack_;
  size_t depth_ = 0;  // decisions made in this run
  uint32_t spent_ = 0;
};

// DFS with bound 0, then 1, ... up to `bound_max`: the schedules with fewest preemptions first,
// so a shallow bug is found before the search drowns in deeper ones.
class IterativeDfsStrategy final : public Strategy {
 public:
  explicit IterativeDfsStrategy(uint32_t bound_max,
                                DfsStrategy::Cost cost = DfsStrategy::Cost::kPreemptions);
  void BeginRun() override { dfs_->BeginRun(); }
  FiberId Pick(const PickPoint& point) override { return dfs_->Pick(point); }
  uint32_t Choose(ChoiceKind kind, uint32_t count, uint64_t step) override {
    return dfs_->Choose(kind, count, step);
  }
  bool NextRun() override;
  uint32_t bound() const { return bound_; }

 private:
  const uint32_t bound_max_;
  const DfsStrategy::Cost cost_;
  uint32_t bound_ = 0;
  std::unique_ptr<DfsStrategy> dfs_;
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
  FiberId Pick(const PickPoint& point) override { return Turn().Pick(point); }
  uint32_t Choose(ChoiceKind kind, uint32_t count, uint64_t step) override {
    return Turn().Choose(kind, count, step);
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
// leaves the rest in order (the minimizer's edits). A choice entry is a run of its own, taken
// when the choice comes up while it is next.
class RunListStrategy final : public Strategy {
 public:
  struct Run {
    FiberId fiber;  // or a choice entry
    uint64_t steps;
  };
  explicit RunListStrategy(std::vector<Run> runs) : runs_(std::move(runs)) {}
  static std::vector<Run> RunsOf(const Schedule& schedule);
  void BeginRun() override {
    next_ = 0;
    used_ = 0;
  }
  FiberId Pick(const PickPoint& point) override;
  uint32_t Choose(ChoiceKind kind, uint32_t count, uint64_t step) override;

 private:
  const std::vector<Run> runs_;
  size_t next_ = 0;
  uint64_t used_ = 0;
};

class ReplayStrategy final : public Strategy {
 public:
  explicit ReplayStrategy(Schedule schedule) : schedule_(std::move(schedule)) {}
  FiberId Pick(const PickPoint& point) override;
  uint32_t Choose(ChoiceKind kind, uint32_t count, uint64_t step) override;

 private:
  const Schedule schedule_;
};

}  // namespace shardstore::checker
