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

// Lets a Dependency outlive its scheduler: `driver` becomes null when the scheduler goes away.
struct DriverLink {
  sync::Mutex mu;
  IoDriver* driver = nullptr;  // guarded by mu
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
