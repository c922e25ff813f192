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

void Scheduler::UnwindIfPending() {
  // Never while an exception is in flight (a destructor running during unwinding): it would
  // terminate the process. The fiber then unwinds at its next point.
  if (tearing_down_ && switch_->in_fiber && Current().unwind_pending &&
      std::uncaught_exceptions() == 0) {
    Current().unwind_pending = false;
    throw FiberUnwind{};
  }
}

void Scheduler::FiberMain(FiberId id) {
  Fiber& fiber = *fibers_[id];
  if (!tearing_down_) {
    try {
      fiber.fn();
    } catch (const FiberUnwind&) {
      // torn down
    } catch (const std::exception& e) {
      if (!run_.failure) run_.failure = "fiber " + std::to_string(id) + " failed: " + e.what();
    } catch (...) {
      if (!run_.failure) run_.failure = "fiber " + std::to_string(id) + " threw";
    }
  }
  fiber.fn = nullptr;
  fiber.done = true;
  Wake(Blocked::kJoin, &fiber, /*all=*/true);
}

uint64_t Scheduler::Spawn(std::function<void()> fn) {
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
  if (switch_->in_fiber) Yield();  // the new fiber may run first
  return id;
}

void Scheduler::Join(uint64_t thread) {
  UnwindIfPending();
  SS_ASSERT(thread < fibers_.size());
  Fiber& target = *fibers_[thread];
  if (tearing_down_ || !switch_->in_fiber) return;
  Yield();
  while (!target.done) Block(Blocked::kJoin, &target);
}

void Scheduler::Block(Blocked kind, const void* object) {
  Fiber& fiber = Current();
  fiber.blocked = kind;
  fiber.blocked_on = object;
  fiber.blocked_since = ++switch_->blocks;
  Yield();  // picked again only once woken
}

void Scheduler::Wake(Blocked kind, const void* object, bool all) {
  Fiber* first = nullptr;
  for (const std::unique_ptr<Fiber>& fiber : fibers_) {
    if (fiber->blocked != kind || fiber->blocked_on != object) continue;
    if (all) {
      fiber->blocked = Blocked::kNo;
    } else if (!first || fiber->blocked_since < first->blocked_since) {
      first = fiber.get();
    }
  }
  if (first) first->blocked = Blocked::kNo;
}

bool Scheduler::CanLock(const MutexState& m, Access access, FiberId) const {
  return access == Access::kShared ? !m.writer : !m.writer && m.readers == 0;
}

void Scheduler::Lock(const void* mutex, Access access) {
  UnwindIfPending();
  Name(mutex, "mutex");
  MutexState& state = mutexes_[mutex];
  if (!tearing_down_ && switch_->in_fiber) {
    Yield();
    while (!CanLock(state, access, current_)) Block(Blocked::kMutex, mutex);
  }
  if (access == Access::kShared) {
    ++state.readers;
  } else {
    state.writer = current_;
  }
}

bool Scheduler::TryLock(const void* mutex) {
  UnwindIfPending();
  Name(mutex, "mutex");
  MutexState& state = mutexes_[mutex];
  if (!tearing_down_ && switch_->in_fiber) Yield();
  if (!CanLock(state, Access::kExclusive, current_)) return false;
  state.writer = current_;
  return true;
}

void Scheduler::Unlock(const void* mutex, Access access) {
  MutexState& state = mutexes_[mutex];
  // While a failed run unwinds, a lock guard may release a mutex its fiber gave up in a Wait.
  if (access == Access::kShared) {
    SS_ASSERT_MSG(state.readers > 0 || tearing_down_,
                  "unlock_shared of " + Name(mutex, "mutex") + " not held");
    if (state.readers > 0) --state.readers;
  } else {
    SS_ASSERT_MSG(state.writer.has_value() || tearing_down_,
                  "unlock of " + Name(mutex, "mutex") + " not held");
    state.writer.reset();
  }
  Wake(Blocked::kMutex, mutex, /*all=*/true);
  // Called from lock guards' destructors: never unwinds from here.
  if (!tearing_down_ && switch_->in_fiber) Yield(/*may_unwind=*/false);  // a waiter may go first
}

void Scheduler::Wait(const void* cv, const void* mutex) {
  UnwindIfPending();
  Name(cv, "condition variable");
  if (tearing_down_ || !switch_->in_fiber) return;
  Yield();  // the notify may come between the caller's check and this wait
  MutexState& state = mutexes_[mutex];
  SS_ASSERT_MSG(state.writer == current_, "waiting on a condition variable without its mutex");
  state.writer.reset();
  Wake(Blocked::kMutex, mutex, /*all=*/true);
  Block(Blocked::kCondVar, cv);
  Lock(mutex, Access::kExclusive);
}

void Scheduler::Notify(const void* cv, bool all) {
  Name(cv, "condition variable");
  if (!tearing_down_ && switch_->in_fiber) Yield(/*may_unwind=*/false);
  Wake(Blocked::kCondVar, cv, all);
}

void Scheduler::Point(const void*) {
  UnwindIfPending();
  if (!tearing_down_ && switch_->in_fiber) Yield();
}

std::string Scheduler::DeadlockReport() {
  std::string report = "deadlock: every fiber left is blocked:";
  for (const std::unique_ptr<Fiber>& fiber : fibers_) {
    if (fiber->done) continue;
    report += "\n  fiber " + std::to_string(fiber->id);
    switch (fiber->blocked) {
      case Blocked::kMutex: {
        const MutexState& m = mutexes_[fiber->blocked_on];
        report += " waits for " + Name(fiber->blocked_on, "mutex") +
                  (m.writer ? ", held by fiber " + std::to_string(*m.writer)
                            : ", held shared by " + std::to_string(m.readers) + " readers");
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
  strategy.BeginRun();
  Spawn(body);

  std::vector<FiberId> runnable;
  while (!run_.failure) {
    runnable.clear();
    bool all_done = true;
    for (const std::unique_ptr<Fiber>& fiber : fibers_) {
      if (fiber->done) continue;
      all_done = false;
      if (fiber->blocked == Blocked::kNo) runnable.push_back(fiber->id);
    }
    if (all_done) break;
    if (runnable.empty()) {
      run_.failure = DeadlockReport();
      break;
    }
    if (run_.schedule.size() >= options_.steps_max) {
      run_.failure = "no end after " + std::to_string(options_.steps_max) +
                     " scheduling points (a livelock, or a body that never finishes)";
      break;
    }
    const FiberId next = strategy.Pick(runnable, current_, run_.schedule.size());
    SS_ASSERT(std::find(runnable.begin(), runnable.end(), next) != runnable.end());
    if (next != current_ &&
        std::find(runnable.begin(), runnable.end(), current_) != runnable.end()) {
      ++run_.preemptions;
    }
    run_.schedule.push_back(next);
    current_ = next;
    Resume(next);
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
