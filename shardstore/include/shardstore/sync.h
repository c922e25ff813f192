// shardstore::sync: the only synchronization primitives the engine uses.
//
// Every mutex, condition variable, atomic and thread in the engine goes through these wrappers.
// Outside a checker they are plain std primitives with no added cost beyond an inlined call.
// The deterministic-scheduler checker (checker/) hooks them so that each operation becomes a
// scheduling point; that hook lives behind this interface, so engine code never changes.
//
// Thread-safety: the same as the std type each wraps.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <utility>

namespace shardstore::sync {

class Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() { mu_.lock(); }
  void unlock() { mu_.unlock(); }
  bool try_lock() { return mu_.try_lock(); }

 private:
  std::mutex mu_;
};

using LockGuard = std::lock_guard<Mutex>;
using UniqueLock = std::unique_lock<Mutex>;

// Many readers or one writer.
class SharedMutex {
 public:
  SharedMutex() = default;
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  void lock() { mu_.lock(); }
  void unlock() { mu_.unlock(); }
  void lock_shared() { mu_.lock_shared(); }
  void unlock_shared() { mu_.unlock_shared(); }

 private:
  std::shared_mutex mu_;
};

using WriterLock = std::unique_lock<SharedMutex>;
using ReaderLock = std::shared_lock<SharedMutex>;

class CondVar {
 public:
  void Wait(UniqueLock& lock) { cv_.wait(lock); }
  template <typename Predicate>
  void Wait(UniqueLock& lock, Predicate predicate) {
    cv_.wait(lock, std::move(predicate));
  }
  void NotifyOne() { cv_.notify_one(); }
  void NotifyAll() { cv_.notify_all(); }

 private:
  std::condition_variable_any cv_;
};

template <typename T>
class Atomic {
 public:
  Atomic() = default;
  explicit Atomic(T value) : value_(value) {}
  T Load(std::memory_order order = std::memory_order_seq_cst) const { return value_.load(order); }
  void Store(T value, std::memory_order order = std::memory_order_seq_cst) {
    value_.store(value, order);
  }
  T FetchAdd(T delta, std::memory_order order = std::memory_order_seq_cst) {
    return value_.fetch_add(delta, order);
  }
  bool CompareExchange(T& expected, T desired) {
    return value_.compare_exchange_strong(expected, desired);
  }

 private:
  std::atomic<T> value_{};
};

class Thread {
 public:
  Thread() = default;
  template <typename Fn>
  explicit Thread(Fn&& fn) : thread_(std::forward<Fn>(fn)) {}
  bool Joinable() const { return thread_.joinable(); }
  void Join() { thread_.join(); }

 private:
  std::thread thread_;
};

}  // namespace shardstore::sync
