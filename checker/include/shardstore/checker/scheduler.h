// Scheduler: runs a test body and every thread it starts as fibers on one OS thread, choosing at
// every synchronization point which fiber runs next — so an interleaving is a value (a
// Schedule) that replays bit for bit.
//
// While a run is in progress the scheduler is installed as the sync::Hooks of its OS thread:
// every sync::Mutex, SharedMutex, CondVar, Atomic, Thread and sync::Yield the body (or the engine
// under it) uses is a scheduling point, implemented here. A point hands control back to the
// scheduler loop, which asks the Strategy for the next fiber among the runnable ones and resumes
// it. Fibers run on Boost.Context (`boost::context::fiber`) with stacks from a pool.
//
// A run fails, with a kind (failure.h), when a fiber throws (an assertion: SS_ASSERT throws in
// test binaries; or a harness's own Violation), when every fiber left is blocked (a deadlock: the
// report says who waits on what), after `steps_max` scheduling points (a livelock, or a body that
// never ends), or on a misuse of the primitives: unlocking a mutex the fiber does not hold,
// waiting on a condition variable without its mutex, a thread ending while it holds a mutex, or
// the body returning while threads it started still run (they may use its locals) or were never
// joined.
//
// The scheduler leaves open what the primitives leave open, as choices the strategy makes and the
// schedule records: a condition-variable wait may return without a notify (a spurious wake-up),
// a NotifyOne may wake any waiter, and a compare_exchange_weak may fail. The run lists every
// unusual choice it took (`unusual`), so a failure that needs one can be told apart.
//
// Yields are fair (CHESS, Musuvathi and Qadeer, PLDI '08): a fiber that yields is not offered to
// the strategy again until every fiber that could run at the yield has run or can no longer run.
// A spin-wait therefore lets the fiber it waits for progress; spinners that only wait on one
// another still run into the step bound (a livelock).
//
// On a failure the remaining fibers are unwound (their
// destructors run; sync operations then no longer schedule) and the run stops. A fiber
// suspended in a point that may run in a destructor (a lock, an unlock, a notify) goes on, without
// blocking, and unwinds at its next point that never does (an atomic, a yield, a wait, a join).
//
// Objects are named in reports by first use ("mutex 1"), never by address, so a report is the
// same in every run of the same schedule.
//
// Thread-safety: one run at a time, on the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shardstore/checker/failure.h"
#include "shardstore/checker/schedule_strategy.h"
#include "shardstore/sync.h"

namespace shardstore::checker {

struct SchedulerOptions {
  uint64_t steps_max = 100'000;     // scheduling points before a run counts as a livelock
  size_t stack_bytes = 256 * 1024;  // per fiber
  // Offer the strategy the choices the primitives leave open (spurious wake-ups, any waiter for
  // NotifyOne, weak compare-exchange failures); false: always the plain outcome.
  bool choices = true;
};

struct ScheduleRun {
  std::optional<Failure> failure;    // nullopt: the run passed
  Schedule schedule;                 // the fiber chosen at each scheduling point, and choices
  uint64_t preemptions = 0;          // switches away from a fiber that could have continued
  std::vector<std::string> unusual;  // each choice taken that was not the plain one, described
  uint64_t steps() const { return schedule.size(); }
};

class Scheduler final : public sync::Hooks {
 public:
  explicit Scheduler(SchedulerOptions options = {});
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Runs `body` as fiber 0 under `strategy` until every fiber is done or the run fails.
  // REQUIRES: not called from inside a run.
  ScheduleRun Run(const std::function<void()>& body, Strategy& strategy);

  // ---- sync::Hooks (called by the fibers) ----
  void Lock(const void* mutex, Access access) override;
  bool TryLock(const void* mutex) override;
  void Unlock(const void* mutex, Access access) override;
  void Wait(const void* cv, const void* mutex) override;
  void Notify(const void* cv, bool all) override;
  void Point(const void* object, sync::Hooks::PointKind kind) override;
  bool FailsSpuriously(const void* object) override;
  uint64_t Spawn(std::function<void()> fn) override;
  void Join(uint64_t thread) override;
  void Note(const std::string& text) override;

  class StackPool;  // stacks reused across fibers and runs
  struct Fiber;

 private:
  enum class Blocked : uint8_t { kNo, kMutex, kCondVar, kJoin };
  struct MutexState {
    std::optional<FiberId> writer;
    std::vector<FiberId> readers;  // one entry per shared hold
    // Fibers waiting to lock it exclusively. A shared lock waits while there are any, as the
    // engine's SharedMutex (writer-preferring) makes it wait: a shared hold taken twice by one
    // fiber deadlocks against a writer that came in between.
    uint32_t writers_waiting = 0;
  };

  // From a fiber: back to the scheduler loop, which resumes this fiber when it is picked. If
  // the run is being torn down meanwhile, the fiber unwinds (FiberUnwind) — here when
  // `may_unwind`, else at its next scheduling point (Unlock and Notify run in destructors).
  void Yield(bool may_unwind = true);
  // Yield at a point of kind `kind` (what the strategy is told).
  void PointYield(checker::PointKind kind, bool may_unwind = true);
  // Asks the strategy; records a choice that is not the plain one.
  uint32_t Choose(ChoiceKind kind, uint32_t count);
  void Misuse(const std::string& what);
  // After a fiber's function returned: the misuses only visible then.
  void CheckExit(FiberId id);
  void UnwindIfPending();
  // From a fiber: blocks it on `object` until woken, then returns.
  void Block(Blocked kind, const void* object, bool may_unwind = true);
  void Wake(Blocked kind, const void* object, bool all);
  static bool CanLock(const MutexState& m, Access access);
  std::string Name(const void* object, const char* kind);
  std::string DeadlockReport();
  std::string FiberName(FiberId id) const { return "fiber " + std::to_string(id); }
  bool Enabled(const Fiber& fiber) const;  // neither blocked nor done
  // The fibers the strategy may pick next: enabled, and not waiting after a yield.
  void CollectRunnable(std::vector<FiberId>* runnable);
  void Resume(FiberId fiber);
  void FiberMain(FiberId id);
  Fiber& Current() { return *fibers_[current_]; }

  const SchedulerOptions options_;
  std::unique_ptr<StackPool> stacks_;
  std::vector<std::unique_ptr<Fiber>> fibers_;
  std::map<const void*, MutexState> mutexes_;
  std::map<const void*, std::string> names_;
  std::map<std::string, uint32_t> name_counts_;
  FiberId current_ = 0;
  checker::PointKind point_kind_ = checker::PointKind::kStart;
  bool yields_pending_ = false;  // some fiber waits after a yield
  Strategy* strategy_ = nullptr;
  ScheduleRun run_;
  bool tearing_down_ = false;
  struct SwitchState;
  std::unique_ptr<SwitchState> switch_;
};

}  // namespace shardstore::checker
