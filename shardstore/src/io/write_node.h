// Dependency::Node, which the engine calls internal::WriteNode: one write (or one group commit)
// tracked by the IO scheduler, shared with every Dependency that names it.
//
// State moves kQueued → kIssued → kDurable, or to kFailed from kQueued or kIssued; kDurable and
// kFailed are final ("settled"). `error` is written before the state becomes kFailed and is
// read only after observing kFailed.
//
// Thread-safety: `state` is atomic; everything else is written under the owning scheduler's lock
// before the node is shared or before `state` is published.
#pragma once

#include <cstdint>
#include <memory>

#include "shardstore/dependency.h"
#include "shardstore/status.h"
#include "shardstore/sync.h"

namespace shardstore {
namespace internal {

enum class WriteState : uint8_t { kQueued, kIssued, kDurable, kFailed };

// The engine's name for the node a Dependency names.
using WriteNode = Dependency::Node;

// Whatever can drive a node to a settled state: the IO scheduler that queued it.
class IoDriver {
 public:
  virtual ~IoDriver() = default;
  // Issues and flushes until `node` is settled. Takes the driver's own lock.
  virtual Status DriveUntilSettled(const WriteNode& node) = 0;
};

// Lets a Dependency outlive its driver. Drives run concurrently and without this link's lock:
// a waiter must never queue on a mutex behind another waiter's whole drive (its flushes
// included) — std::mutex is not fair, and the thread that just finished its drive would take the
// lock back first, again and again, each time for its own next write alone, starving the rest
// and defeating group commit. Waiters meet in the driver instead, which lets them all see a flush
// complete. Detach (when the driver goes away) waits for the drives in progress; later ones find
// no driver.
class DriverLink {
 public:
  void Attach(IoDriver* driver) {
    sync::LockGuard lock(mu_);
    driver_ = driver;
  }
  // REQUIRES: not called from inside a drive through this link.
  void Detach() {
    sync::UniqueLock lock(mu_);
    drives_done_.Wait(lock, [&] { return drives_ == 0; });
    driver_ = nullptr;
  }

  // A drive in progress: holds the driver attached until it ends (also when unwound).
  class Drive {
   public:
    explicit Drive(DriverLink& link) : link_(link) {
      sync::LockGuard lock(link_.mu_);
      driver_ = link_.driver_;
      if (driver_ != nullptr) ++link_.drives_;
    }
    ~Drive() {
      if (driver_ == nullptr) return;
      sync::LockGuard lock(link_.mu_);
      if (--link_.drives_ == 0) link_.drives_done_.NotifyAll();
    }
    Drive(const Drive&) = delete;
    Drive& operator=(const Drive&) = delete;
    // Null when the driver went away.
    IoDriver* driver() const { return driver_; }

   private:
    DriverLink& link_;
    IoDriver* driver_;
  };

 private:
  sync::Mutex mu_;
  sync::CondVar drives_done_;
  IoDriver* driver_ = nullptr;  // guarded by mu_
  uint32_t drives_ = 0;         // guarded by mu_: Drives holding driver_
};

}  // namespace internal

struct Dependency::Node {
  Node(uint64_t id_in, std::shared_ptr<internal::DriverLink> link_in)
      : id(id_in), link(std::move(link_in)) {}

  internal::WriteState Load() const { return static_cast<internal::WriteState>(state.Load()); }
  bool Settled() const {
    const internal::WriteState s = Load();
    return s == internal::WriteState::kDurable || s == internal::WriteState::kFailed;
  }
  void MarkIssued() { state.Store(static_cast<uint8_t>(internal::WriteState::kIssued)); }
  void MarkDurable() { state.Store(static_cast<uint8_t>(internal::WriteState::kDurable)); }
  void MarkFailed(Status status) {
    SS_ASSERT(!Settled());
    error = std::move(status);
    state.Store(static_cast<uint8_t>(internal::WriteState::kFailed));
  }

  const uint64_t id;
  const std::shared_ptr<internal::DriverLink> link;
  sync::Atomic<uint8_t> state{static_cast<uint8_t>(internal::WriteState::kQueued)};
  Status error;
};

}  // namespace shardstore
