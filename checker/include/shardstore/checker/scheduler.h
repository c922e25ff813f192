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
// A run fails when a fiber throws (SS_ASSERT throws in test binaries), when every fiber left is
// blocked (a deadlock: the report says who waits on what), or after `steps_max` scheduling points
// (a livelock, or a body that never ends). On a failure the remaining fibers are unwound (their
// destructors run; sync operations then no longer schedule) and the run stops. A fiber
// suspended in a point that runs in destructors (an unlock, a notify) unwinds at its next point
// instead; one suspended in a lock taken inside a destructor would end the process, so bodies
// should not lock in destructors of objects that outlive a failing thread.
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

#include "shardstore/checker/schedule_strategy.h"
#include "shardstore/sync.h"

namespace shardstore::checker {

struct SchedulerOptions {
  uint64_t steps_max = 100'000;     // scheduling points before a run counts as a livelock
  size_t stack_bytes = 256 * 1024;  // per fiber
};

struct ScheduleRun {
  std::optional<std::string> failure;  // nullopt: the run passed
  Schedule schedule;                   // the fiber chosen at each scheduling point
  uint32_t preemptions = 0;            // switches away from a fiber that could have continued
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
  void Point(const void* object) override;
  uint64_t Spawn(std::function<void()> fn) override;
  void Join(uint64_t thread) override;

  class StackPool;  // stacks reused across fibers and runs
  struct Fiber;

 private:
  enum class Blocked : uint8_t { kNo, kMutex, kCondVar, kJoin };
  struct MutexState {
    std::optional<FiberId> writer;
    uint32_t readers = 0;
  };

  // From a fiber: back to the scheduler loop, which resumes this fiber when it is picked. If
  // the run is being torn down meanwhile, the fiber unwinds (FiberUnwind) — here when
  // `may_unwind`, else at its next scheduling point (Unlock and Notify run in destructors).
  void Yield(bool may_unwind = true);
  void UnwindIfPending();
  // From a fiber: blocks it on `object` until woken, then returns.
  void Block(Blocked kind, const void* object);
  void Wake(Blocked kind, const void* object, bool all);
  bool CanLock(const MutexState& m, Access access, FiberId fiber) const;
  std::string Name(const void* object, const char* kind);
  std::string DeadlockReport();
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
  Strategy* strategy_ = nullptr;
  ScheduleRun run_;
  bool tearing_down_ = false;
  struct SwitchState;
  std::unique_ptr<SwitchState> switch_;
};

}  // namespace shardstore::checker
