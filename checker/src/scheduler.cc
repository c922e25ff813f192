#include "shardstore/checker/scheduler.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <boost/context/fiber.hpp>
#include <exception>

#include "shardstore/assert.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SS_FIBERS_UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SS_FIBERS_UNDER_ASAN 1
#endif
#ifdef SS_FIBERS_UNDER_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace shardstore::checker {

namespace context = boost::context;

// Mapped stacks, kept for reuse: a run with thousands of schedules allocates a few stacks once.
class Scheduler::StackPool {
 public:
  explicit StackPool(size_t bytes) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    bytes_ = (bytes + page - 1) / page * page;
  }
  ~StackPool() {
    for (void* base : free_) munmap(base, bytes_);
  }
  context::stack_context Allocate() {
    void* base = nullptr;
    if (!free_.empty()) {
      base = free_.back();
      free_.pop_back();
    } else {
      base = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      SS_ASSERT_MSG(base != MAP_FAILED, "cannot map a fiber stack");
    }
#ifdef SS_FIBERS_UNDER_ASAN
    // Frames of an earlier fiber on this stack may have left poisoned redzones behind.
    ASAN_UNPOISON_MEMORY_REGION(base, bytes_);
#endif
    context::stack_context stack;
    stack.size = bytes_;
    stack.sp = static_cast<char*>(base) + bytes_;
    last_ = stack;
    return stack;
  }
  void Deallocate(context::stack_context& stack) {
    free_.push_back(static_cast<char*>(stack.sp) - stack.size);
  }
  const context::stack_context& last() const { return last_; }

 private:
  size_t bytes_;
  std::vector<void*> free_;
  context::stack_context last_;
};

namespace {

// Boost.Context copies its stack allocator into the fiber: a handle to the pool.
struct PooledStack {
  Scheduler::StackPool* pool;
  context::stack_context allocate() { return pool->Allocate(); }
  void deallocate(context::stack_context& stack) { pool->Deallocate(stack); }
};

// Thrown into a fiber that is being torn down, to unwind its stack.
struct FiberUnwind {};

}  // namespace

struct Scheduler::Fiber {
  FiberId id = 0;
  std::function<void()> fn;
  context::fiber context;
  bool done = false;
  // Yielded: not offered again until each of these (the fibers that could run when it yielded)
  // has run or cannot run (CHESS's fair scheduling).
  std::vector<FiberId> yielded_to;
  bool joined = false;
  Blocked blocked = Blocked::kNo;
  const void* blocked_on = nullptr;
  uint64_t blocked_since = 0;  // FIFO order for condition variables
  const void* stack_bottom = nullptr;
  size_t stack_bytes = 0;
  bool unwind_pending = false;  // torn down; throws FiberUnwind at its next point
#ifdef SS_FIBERS_UNDER_ASAN
  void* fake_stack = nullptr;
#endif
};

struct Scheduler::SwitchState {
  context::fiber main;  // the scheduler loop, while a fiber runs
  bool in_fiber = false;
  uint64_t blocks = 0;
#ifdef SS_FIBERS_UNDER_ASAN
  void* main_fake_stack = nullptr;
  const void* main_bottom = nullptr;
  size_t main_bytes = 0;
#endif
};

Scheduler::Scheduler(SchedulerOptions options)
    : options_(options),
      stacks_(std::make_unique<StackPool>(options.stack_bytes)),
      switch_(std::make_unique<SwitchState>()) {}

Scheduler::~Scheduler() = default;

std::string Scheduler::Name(const void* object, const char* kind) {
  auto it = names_.find(object);
  if (it == names_.end()) {
    it = names_.emplace(object, std::string(kind) + " " + std::to_string(++name_counts_[kind]))
             .first;
  }
  return it->second;
}

void Scheduler::Resume(FiberId id) {
  Fiber& fiber = *fibers_[id];
  switch_->in_fiber = true;
#ifdef SS_FIBERS_UNDER_ASAN
  __sanitizer_start_switch_fiber(&switch_->main_fake_stack, fiber.stack_bottom, fiber.stack_bytes);
#endif
  fiber.context = std::move(fiber.context).resume();
#ifdef SS_FIBERS_UNDER_ASAN
  __sanitizer_finish_switch_fiber(switch_->main_fake_stack, nullptr, nullptr);
#endif
  switch_->in_fiber = false;
}

void Scheduler::Yield(bool may_unwind) {
#ifdef SS_FIBERS_UNDER_ASAN
  Fiber& fiber = Current();
  __sanitizer_start_switch_fiber(&fiber.fake_stack, switch_->main_bottom, switch_->main_bytes);
#endif
  switch_->main = std::move(switch_->main).resume();
#ifdef SS_FIBERS_UNDER_ASAN
  __sanitizer_finish_switch_fiber(fiber.fake_stack, &switch_->main_bottom, &switch_->main_bytes);
#endif
  if (tearing_down_) {
    Current().unwind_pending = true;
    if (may_unwind) UnwindIfPending();
  }
}

void Scheduler::PointYield(checker::PointKind kind, bool may_unwind) {
  point_kind_ = kind;
  Yield(may_unwind);
}

void Scheduler::UnwindIfPending() {
  // Never while an exception is in flight (a destructor running during unwinding): it would
  // terminate the process. The fiber then unwinds at its next point.
  if (tearing_down_ && switch_->in_fiber && Current().unwind_pending &&
      std::uncaught_exceptions() == 0) {
    Current().unwind_pending = false;
    throw FiberUnwind{};
  }
}

uint32_t Scheduler::Choose(ChoiceKind kind, uint32_t count) {
  if (count < 2 || !options_.choices || tearing_down_ || !switch_->in_fiber) return 0;
  const uint32_t choice = strategy_->Choose(kind, count, run_.schedule.size());
  SS_ASSERT(choice < count);
  if (choice != 0) run_.schedule.push_back(kChoiceMark | choice);
  return choice;
}

void Scheduler::Misuse(const std::string& what) {
  if (!run_.failure) run_.failure = Failure{FailureKind::kMisuse, what};
}

void Scheduler::CheckExit(FiberId id) {
  std::string held;
  for (const auto& [mutex, state] : mutexes_) {
    const bool shared =
        std::find(state.readers.begin(), state.readers.end(), id) != state.readers.end();
    if (state.writer == id || shared) {
      held += (held.empty() ? "" : ", ") + names_[mutex] + (shared ? " (shared)" : "");
    }
  }
  if (!held.empty()) Misuse(FiberName(id) + " ended holding " + held);
  if (id != 0) return;
  std::string running, unjoined;
  for (const std::unique_ptr<Fiber>& fiber : fibers_) {
    if (fiber->id == 0 || fiber->joined) continue;
    std::string& list = fiber->done ? unjoined : running;
    list += (list.empty() ? "" : ", ") + FiberName(fiber->id);
  }
  if (!running.empty()) {
    Misuse("the body (fiber 0) returned while " + running +
           " still run: join every thread before the state it uses goes out of scope");
  } else if (!unjoined.empty()) {
    Misuse("the body (fiber 0) returned without joining " + unjoined +
           " (a std::thread destroyed unjoined ends the process)");
  }
}

void Scheduler::FiberMain(FiberId id) {
  Fiber& fiber = *fibers_[id];
  if (!tearing_down_) {
    try {
      fiber.fn();
      if (!tearing_down_) CheckExit(id);
    } catch (const FiberUnwind&) {
      // torn down
    } catch (const Violation& e) {
      if (!run_.failure) run_.failure = Failure{e.kind(), FiberName(id) + ": " + e.what()};
    } catch (const std::exception& e) {
      if (!run_.failure) {
        run_.failure = Failure{FailureKind::kAssertion, FiberName(id) + " failed: " + e.what()};
      }
    } catch (...) {
      if (!run_.failure) run_.failure = Failure{FailureKind::kAssertion, FiberName(id) + " threw"};
    }
  }
  fiber.fn = nullptr;
  fiber.done = true;
  point_kind_ = checker::PointKind::kBlocked;
  Wake(Blocked::kJoin, &fiber, /*all=*/true);
}

uint64_t Scheduler::Spawn(std::function<void()> fn) {
  UnwindIfPending();
  SS_ASSERT_MSG(!tearing_down_, "a thread started while a failed run unwinds");
  const FiberId id = static_cast<FiberId>(fibers_.size());
  auto fiber = std::make_unique<Fiber>();
  fiber->id = id;
  fiber->fn = std::move(fn);
  fiber->context = context::fiber(
      std::allocator_arg, PooledStack{stacks_.get()}, [this, id](context::fiber&& main) {
#ifdef SS_FIBERS_UNDER_ASAN
        __sanitizer_finish_switch_fiber(nullptr, &switch_->main_bottom, &switch_->main_bytes);
#endif
        switch_->main = std::move(main);
        FiberMain(id);
#ifdef SS_FIBERS_UNDER_ASAN
        __sanitizer_start_switch_fiber(nullptr, switch_->main_bottom, switch_->main_bytes);
#endif
        return std::move(switch_->main);
      });
  const context::stack_context& stack = stacks_->last();
  fiber->stack_bottom = static_cast<char*>(stack.sp) - stack.size;
  fiber->stack_bytes = stack.size;
  fibers_.push_back(std::move(fiber));
  strategy_->OnSpawn(id);
  if (switch_->in_fiber) PointYield(checker::PointKind::kStart);  // the new fiber may run first
  return id;
}

void Scheduler::Note(const std::string& text) {
  // Not while a failed run's fibers unwind: what they give back then is not part of the run.
  if (strategy_ != nullptr && !tearing_down_) {
    strategy_->Note(current_, run_.schedule.size(), text);
  }
}

void Scheduler::Join(uint64_t thread) {
  UnwindIfPending();
  SS_ASSERT(thread < fibers_.size());
  Fiber& target = *fibers_[thread];
  target.joined = true;
  if (tearing_down_ || !switch_->in_fiber) return;
  PointYield(checker::PointKind::kJoin);
  while (!target.done) Block(Blocked::kJoin, &target);
}

void Scheduler::Block(Blocked kind, const void* object, bool may_unwind) {
  Fiber& fiber = Current();
  fiber.blocked = kind;
  fiber.blocked_on = object;
  fiber.blocked_since = ++switch_->blocks;
  PointYield(checker::PointKind::kBlocked, may_unwind);  // picked again only once woken
}

void Scheduler::Wake(Blocked kind, const void* object, bool all) {
  std::vector<Fiber*> waiters;  // longest waiting first
  for (const std::unique_ptr<Fiber>& fiber : fibers_) {
    if (fiber->blocked == kind && fiber->blocked_on == object) waiters.push_back(fiber.get());
  }
  if (waiters.empty()) return;
  if (all) {
    for (Fiber* fiber : waiters) fiber->blocked = Blocked::kNo;
    return;
  }
  std::sort(waiters.begin(), waiters.end(),
            [](const Fiber* a, const Fiber* b) { return a->blocked_since < b->blocked_since; });
  // Only condition variables wake one: std::condition_variable promises no order.
  const uint32_t which = Choose(ChoiceKind::kNotifyWhich, static_cast<uint32_t>(waiters.size()));
  if (which != 0) {
    run_.unusual.push_back("a NotifyOne of " + Name(object, "condition variable") + " woke " +
                           FiberName(waiters[which]->id) + ", not the longest waiting " +
                           FiberName(waiters[0]->id));
  }
  waiters[which]->blocked = Blocked::kNo;
}

bool Scheduler::CanLock(const MutexState& m, Access access) {
  return access == Access::kShared ? !m.writer && m.writers_waiting == 0
                                   : !m.writer && m.readers.empty();
}

// Locks may be taken in destructors, where unwinding would end the process: a fiber torn down
// while it locks takes the lock and unwinds at its next point that never runs in a destructor
// (an atomic, a yield, an IO completion, a wait, a join, a spawn), or simply ends.
void Scheduler::Lock(const void* mutex, Access access) {
  Name(mutex, "mutex");
  MutexState& state = mutexes_[mutex];
  if (!tearing_down_ && switch_->in_fiber) {
    PointYield(checker::PointKind::kLock, /*may_unwind=*/false);
    const bool waits = access == Access::kExclusive && !CanLock(state, access);
    if (waits) ++state.writers_waiting;
    while (!tearing_down_ && !CanLock(state, access)) {
      Block(Blocked::kMutex, mutex, /*may_unwind=*/false);
    }
    if (waits) --state.writers_waiting;
  }
  if (access == Access::kShared) {
    state.readers.push_back(current_);
  } else {
    state.writer = current_;
  }
}

bool Scheduler::TryLock(const void* mutex) {
  Name(mutex, "mutex");
  MutexState& state = mutexes_[mutex];
  if (!tearing_down_ && switch_->in_fiber) {
    PointYield(checker::PointKind::kLock, /*may_unwind=*/false);
  }
  if (!tearing_down_ && !CanLock(state, Access::kExclusive)) return false;
  state.writer = current_;
  return true;
}

void Scheduler::Unlock(const void* mutex, Access access) {
  MutexState& state = mutexes_[mutex];
  // While a failed run unwinds, a lock guard may release a mutex its fiber gave up in a Wait.
  if (access == Access::kShared) {
    auto held = std::find(state.readers.begin(), state.readers.end(), current_);
    if (held != state.readers.end()) {
      state.readers.erase(held);
    } else if (!tearing_down_) {
      Misuse(FiberName(current_) + " releases a shared hold of " + Name(mutex, "mutex") +
             " that it does not have");
    }
  } else if (state.writer == current_) {
    state.writer.reset();
  } else if (tearing_down_) {
    state.writer.reset();
  } else {
    Misuse(FiberName(current_) + " unlocks " + Name(mutex, "mutex") +
           (state.writer ? ", held by " + FiberName(*state.writer) : ", which no fiber holds"));
  }
  Wake(Blocked::kMutex, mutex, /*all=*/true);
  // Called from lock guards' destructors: never unwinds from here.
  if (!tearing_down_ && switch_->in_fiber) {
    PointYield(checker::PointKind::kUnlock, /*may_unwind=*/false);  // a waiter may go first
  }
}

void Scheduler::Wait(const void* cv, const void* mutex) {
  UnwindIfPending();
  const std::string cv_name = Name(cv, "condition variable");
  if (tearing_down_ || !switch_->in_fiber) return;
  PointYield(checker::PointKind::kWait);  // the notify may come between the check and the wait
  MutexState& state = mutexes_[mutex];
  if (state.writer != current_) {
    Misuse(FiberName(current_) + " waits on " + cv_name + " without holding its " +
           Name(mutex, "mutex"));
    PointYield(checker::PointKind::kBlocked);  // the run ends; this fiber unwinds here
    return;
  }
  state.writer.reset();
  Wake(Blocked::kMutex, mutex, /*all=*/true);
  if (Choose(ChoiceKind::kSpuriousWakeup, 2) == 1) {
    run_.unusual.push_back(FiberName(current_) + " woke from " + cv_name + " without a notify");
    PointYield(checker::PointKind::kWait);
  } else {
    Block(Blocked::kCondVar, cv);
  }
  Lock(mutex, Access::kExclusive);
}

void Scheduler::Notify(const void* cv, bool all) {
  Name(cv, "condition variable");
  if (!tearing_down_ && switch_->in_fiber) {
    PointYield(checker::PointKind::kNotify, /*may_unwind=*/false);
  }
  Wake(Blocked::kCondVar, cv, all);
}

void Scheduler::Point(const void* /*object*/, sync::Hooks::PointKind kind) {
  UnwindIfPending();
  if (tearing_down_ || !switch_->in_fiber) return;
  switch (kind) {
    case sync::Hooks::PointKind::kAtomic:
      PointYield(checker::PointKind::kAtomic);
      return;
    case sync::Hooks::PointKind::kYield: {
      std::vector<FiberId>& yielded_to = Current().yielded_to;
      yielded_to.clear();
      for (const std::unique_ptr<Fiber>& fiber : fibers_) {
        if (fiber->id != current_ && Enabled(*fiber)) yielded_to.push_back(fiber->id);
      }
      yields_pending_ |= !yielded_to.empty();
      PointYield(checker::PointKind::kYield);
      return;
    }
    case sync::Hooks::PointKind::kIoCompletion:
      PointYield(checker::PointKind::kIoCompletion);
      return;
  }
}

bool Scheduler::FailsSpuriously(const void* object) {
  if (Choose(ChoiceKind::kWeakCasFailure, 2) == 0) return false;
  run_.unusual.push_back("a compare_exchange_weak of " + Name(object, "atomic") + " by " +
                         FiberName(current_) + " failed spuriously");
  return true;
}

std::string Scheduler::DeadlockReport() {
  std::string report = "every fiber left is blocked:";
  for (const std::unique_ptr<Fiber>& fiber : fibers_) {
    if (fiber->done) continue;
    report += "\n  fiber " + std::to_string(fiber->id);
    switch (fiber->blocked) {
      case Blocked::kMutex: {
        const MutexState& m = mutexes_[fiber->blocked_on];
        std::vector<FiberId> sorted = m.readers;
        std::sort(sorted.begin(), sorted.end());
        std::string readers;
        for (FiberId reader : sorted) {
          readers += (readers.empty() ? "" : ", ") + std::to_string(reader);
        }
        report += " waits for " + Name(fiber->blocked_on, "mutex") +
                  (m.writer ? ", held by fiber " + std::to_string(*m.writer)
                            : ", held shared by " + std::to_string(m.readers.size()) +
                                  " readers (fibers " + readers + ")");
        if (m.writers_waiting > 0) {
          report += ", with " + std::to_string(m.writers_waiting) +
                    " writers waiting (a shared lock waits behind them)";
        }
        break;
      }
      case Blocked::kCondVar:
        report += " waits on " + Name(fiber->blocked_on, "condition variable") +
                  ", which no running fiber will notify";
        break;
      case Blocked::kJoin:
        report += " waits to join fiber " +
                  std::to_string(static_cast<const Fiber*>(fiber->blocked_on)->id);
        break;
      case Blocked::kNo:
        report += " is runnable";
        break;
    }
  }
  return report;
}

bool Scheduler::Enabled(const Fiber& fiber) const {
  return !fiber.done && fiber.blocked == Blocked::kNo;
}

void Scheduler::CollectRunnable(std::vector<FiberId>* runnable) {
  runnable->clear();
  bool any_enabled = false;
  for (const std::unique_ptr<Fiber>& fiber : fibers_) {
    if (!Enabled(*fiber)) continue;
    any_enabled = true;
    const bool waits =
        yields_pending_ && std::any_of(fiber->yielded_to.begin(), fiber->yielded_to.end(),
                                       [&](FiberId other) { return Enabled(*fibers_[other]); });
    if (!waits) runnable->push_back(fiber->id);
  }
  if (!runnable->empty() || !any_enabled) return;
  // Cannot happen (a fiber that yielded later waits on none that yielded earlier and has not run
  // since), but a strategy must always have a choice.
  for (const std::unique_ptr<Fiber>& fiber : fibers_) {
    if (!Enabled(*fiber)) continue;
    fiber->yielded_to.clear();
    runnable->push_back(fiber->id);
  }
}

ScheduleRun Scheduler::Run(const std::function<void()>& body, Strategy& strategy) {
  SS_ASSERT_MSG(sync::InstalledHooks() == nullptr, "scheduler runs cannot nest");
  sync::InstallHooks(this);
  fibers_.clear();
  mutexes_.clear();
  names_.clear();
  name_counts_.clear();
  run_ = ScheduleRun{};
  tearing_down_ = false;
  strategy_ = &strategy;
  current_ = 0;
  point_kind_ = checker::PointKind::kStart;
  yields_pending_ = false;
  strategy.BeginRun();
  Spawn(body);

  std::vector<FiberId> runnable;
  while (!run_.failure) {
    CollectRunnable(&runnable);
    if (runnable.empty()) {
      const bool all_done = std::all_of(fibers_.begin(), fibers_.end(),
                                        [](const std::unique_ptr<Fiber>& f) { return f->done; });
      if (!all_done) run_.failure = Failure{FailureKind::kDeadlock, DeadlockReport()};
      break;
    }
    if (run_.schedule.size() >= options_.steps_max) {
      run_.failure = Failure{FailureKind::kLivelock,
                             "no end after " + std::to_string(options_.steps_max) +
                                 " scheduling points (a livelock, or a body that never finishes)"};
      break;
    }
    const PickPoint point{runnable, current_, run_.schedule.size(), point_kind_};
    const FiberId next = strategy.Pick(point);
    SS_ASSERT(std::find(runnable.begin(), runnable.end(), next) != runnable.end());
    if (next != current_ &&
        std::find(runnable.begin(), runnable.end(), current_) != runnable.end()) {
      ++run_.preemptions;
    }
    run_.schedule.push_back(next);
    current_ = next;
    Resume(next);
    // `next` has run: whoever yielded to it need not wait for it any more.
    if (yields_pending_) {
      yields_pending_ = false;
      for (const std::unique_ptr<Fiber>& fiber : fibers_) {
        std::erase(fiber->yielded_to, next);
        yields_pending_ |= !fiber->yielded_to.empty();
      }
    }
  }

  // Unwind what is left: each fiber resumes once more and throws FiberUnwind from its point.
  // Newest first: a fiber's stack may hold what the fibers it started use (the body's store),
  // so theirs must unwind before it.
  tearing_down_ = true;
  for (auto it = fibers_.rbegin(); it != fibers_.rend(); ++it) {
    const std::unique_ptr<Fiber>& fiber = *it;
    if (fiber->done) continue;
    current_ = fiber->id;
    Resume(fiber->id);
  }
  fibers_.clear();
  strategy_ = nullptr;
  sync::InstallHooks(nullptr);
  return std::move(run_);
}

}  // namespace shardstore::checker
