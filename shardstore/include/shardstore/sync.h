// shardstore::sync: the only synchronization primitives the engine uses.
//
// Every mutex, condition variable, atomic and thread in the engine goes through these wrappers.
// Outside a checker they are plain std primitives; the only added cost is one test of a
// thread-local pointer. A deterministic scheduler (checker/) installs Hooks on its OS thread:
// from then on, on that thread, every operation below is a scheduling point and the scheduler
// implements it (its threads are fibers, so nothing may block the OS thread). One build, no
// macros: engine code never changes.
//
// Thread-safety: the same as the std type each wraps (SharedMutex: a writer-preferring POSIX
// rwlock). Under Hooks, all of it runs on the one OS thread the scheduler owns.
#pragma once

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <utility>

namespace shardstore::sync {

// What a deterministic scheduler provides. Objects are named by address; a scheduler keeps its
// own state for each (who holds a mutex, who waits on a condition variable).
class Hooks {
 public:
  enum class Access : uint8_t { kExclusive, kShared };
  // What a scheduling point is, so a strategy can treat kinds differently (a yield asks to let
  // the others run; an IO completion is where a real disk would let time pass).
  enum class PointKind : uint8_t { kAtomic, kYield, kIoCompletion };
  virtual void Lock(const void* mutex, Access access) = 0;
  virtual bool TryLock(const void* mutex) = 0;
  virtual void Unlock(const void* mutex, Access access) = 0;
  // Releases `mutex` (held exclusively), waits for a notify of `cv`, then reacquires it.
  virtual void Wait(const void* cv, const void* mutex) = 0;
  virtual void Notify(const void* cv, bool all) = 0;
  // Before an atomic operation on `object`, at a yield, or after an IO completes: another thread
  // may run first.
  virtual void Point(const void* object, PointKind kind) = 0;
  // A compare_exchange_weak on `object` may fail although the value matched; true: it does.
  virtual bool FailsSpuriously(const void* object) = 0;
  virtual uint64_t Spawn(std::function<void()> fn) = 0;
  virtual void Join(uint64_t thread) = 0;
  // What the running thread holds or waits for, in words ("read budget: holds 4096 of 8192
  // bytes"), for a scheduler's timeline; never a scheduling point.
  virtual void Note(const std::string& /*text*/) {}

 protected:
  ~Hooks() = default;
};

// The Hooks installed on this OS thread, or null (always, outside a checker).
Hooks* InstalledHooks();
// Installs `hooks` on this OS thread (null removes them). The checker's scheduler does this.
void InstallHooks(Hooks* hooks);

// Lets another thread run. Under a scheduler the caller waits until another thread has made
// progress, so a spin-wait loop that yields ends as soon as what it waits for can happen.
inline void Yield() {
  if (Hooks* hooks = InstalledHooks()) {
    hooks->Point(nullptr, Hooks::PointKind::kYield);
  } else {
    std::this_thread::yield();
  }
}

// True when a scheduler watches this thread: build a Note's text only then.
inline bool Watched() { return InstalledHooks() != nullptr; }
inline void Note(const std::string& text) {
  if (Hooks* hooks = InstalledHooks()) hooks->Note(text);
}

// The engine calls this when a disk operation it waited for without a lock has completed: under
// a scheduler, other threads may run between the completion and what the caller does next.
inline void IoCompleted(const void* device) {
  if (Hooks* hooks = InstalledHooks()) hooks->Point(device, Hooks::PointKind::kIoCompletion);
}

class Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() {
    if (Hooks* hooks = InstalledHooks()) return hooks->Lock(this, Hooks::Access::kExclusive);
    mu_.lock();
  }
  void unlock() {
    if (Hooks* hooks = InstalledHooks()) return hooks->Unlock(this, Hooks::Access::kExclusive);
    mu_.unlock();
  }
  bool try_lock() {
    if (Hooks* hooks = InstalledHooks()) return hooks->TryLock(this);
    return mu_.try_lock();
  }

 private:
  std::mutex mu_;
};

using LockGuard = std::lock_guard<Mutex>;
using UniqueLock = std::unique_lock<Mutex>;

// Many readers or one writer. Writer-preferring: once a writer waits, new readers wait behind
// it, so a steady stream of overlapping readers cannot starve writers (std::shared_mutex on
// glibc prefers readers: eight threads of back-to-back Gets kept every Put out for minutes,
// bench/reclaim_clients). The price: a thread must never take the shared lock twice, since a
// writer arriving in between would wait for the first hold and the second for the writer.
class SharedMutex {
 public:
  SharedMutex();
  ~SharedMutex();
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  void lock() {
    if (Hooks* hooks = InstalledHooks()) return hooks->Lock(this, Hooks::Access::kExclusive);
    if (const int error = pthread_rwlock_wrlock(&mu_); error != 0) Failed(error, "wrlock");
  }
  void unlock() {
    if (Hooks* hooks = InstalledHooks()) return hooks->Unlock(this, Hooks::Access::kExclusive);
    if (const int error = pthread_rwlock_unlock(&mu_); error != 0) Failed(error, "unlock");
  }
  void lock_shared() {
    if (Hooks* hooks = InstalledHooks()) return hooks->Lock(this, Hooks::Access::kShared);
    if (const int error = pthread_rwlock_rdlock(&mu_); error != 0) Failed(error, "rdlock");
  }
  void unlock_shared() {
    if (Hooks* hooks = InstalledHooks()) return hooks->Unlock(this, Hooks::Access::kShared);
    if (const int error = pthread_rwlock_unlock(&mu_); error != 0) Failed(error, "unlock");
  }

 private:
  // Ends the process: the lock is misused (taken twice by one thread, released unheld).
  [[noreturn]] static void Failed(int error, const char* call);

  pthread_rwlock_t mu_;
};

using WriterLock = std::unique_lock<SharedMutex>;
using ReaderLock = std::shared_lock<SharedMutex>;

class CondVar {
 public:
  void Wait(UniqueLock& lock) {
    if (Hooks* hooks = InstalledHooks()) return hooks->Wait(this, lock.mutex());
    cv_.wait(lock);
  }
  template <typename Predicate>
  void Wait(UniqueLock& lock, Predicate predicate) {
    while (!predicate()) Wait(lock);
  }
  void NotifyOne() {
    if (Hooks* hooks = InstalledHooks()) return hooks->Notify(this, false);
    cv_.notify_one();
  }
  void NotifyAll() {
    if (Hooks* hooks = InstalledHooks()) return hooks->Notify(this, true);
    cv_.notify_all();
  }

 private:
  std::condition_variable_any cv_;
};

// An atomic variable. Every operation is sequentially consistent under a scheduler (which runs
// one fiber at a time) and takes the given order outside one.
template <typename T>
class Atomic {
 public:
  Atomic() = default;
  explicit Atomic(T value) : value_(value) {}
  Atomic(const Atomic&) = delete;
  Atomic& operator=(const Atomic&) = delete;

  T Load(std::memory_order order = std::memory_order_seq_cst) const {
    Point();
    return value_.load(order);
  }
  void Store(T value, std::memory_order order = std::memory_order_seq_cst) {
    Point();
    value_.store(value, order);
  }
  T Exchange(T value, std::memory_order order = std::memory_order_seq_cst) {
    Point();
    return value_.exchange(value, order);
  }
  T FetchAdd(T delta, std::memory_order order = std::memory_order_seq_cst) {
    Point();
    return value_.fetch_add(delta, order);
  }
  T FetchSub(T delta, std::memory_order order = std::memory_order_seq_cst) {
    Point();
    return value_.fetch_sub(delta, order);
  }
  T FetchAnd(T mask, std::memory_order order = std::memory_order_seq_cst) {
    Point();
    return value_.fetch_and(mask, order);
  }
  T FetchOr(T mask, std::memory_order order = std::memory_order_seq_cst) {
    Point();
    return value_.fetch_or(mask, order);
  }
  T FetchXor(T mask, std::memory_order order = std::memory_order_seq_cst) {
    Point();
    return value_.fetch_xor(mask, order);
  }
  // On failure `expected` receives the value seen.
  bool CompareExchange(T& expected, T desired,
                       std::memory_order order = std::memory_order_seq_cst) {
    Point();
    return value_.compare_exchange_strong(expected, desired, order);
  }
  // May fail although the value equals `expected` (as on LL/SC hardware); under a scheduler the
  // strategy decides when, so a loop that relies on the weak form never failing is found.
  bool CompareExchangeWeak(T& expected, T desired,
                           std::memory_order order = std::memory_order_seq_cst) {
    if (Hooks* hooks = InstalledHooks()) {
      hooks->Point(this, Hooks::PointKind::kAtomic);
      if (hooks->FailsSpuriously(this)) {
        expected = value_.load(std::memory_order_relaxed);
        return false;
      }
      return value_.compare_exchange_strong(expected, desired, order);
    }
    return value_.compare_exchange_weak(expected, desired, order);
  }

 private:
  void Point() const {
    if (Hooks* hooks = InstalledHooks()) hooks->Point(this, Hooks::PointKind::kAtomic);
  }

  std::atomic<T> value_{};
};

// Under Hooks a Thread is one of the scheduler's fibers.
class Thread {
 public:
  Thread() = default;
  template <typename Fn>
  explicit Thread(Fn&& fn) {
    if (Hooks* hooks = InstalledHooks()) {
      fiber_ = hooks->Spawn(std::function<void()>(std::forward<Fn>(fn)));
    } else {
      thread_ = std::thread(std::forward<Fn>(fn));
    }
  }
  bool Joinable() const { return fiber_ != kNoFiber || thread_.joinable(); }
  void Join() {
    if (fiber_ != kNoFiber) {
      InstalledHooks()->Join(fiber_);
      fiber_ = kNoFiber;
      return;
    }
    thread_.join();
  }

 private:
  static constexpr uint64_t kNoFiber = ~uint64_t{0};
  std::thread thread_;
  uint64_t fiber_ = kNoFiber;
};

}  // namespace shardstore::sync
