// Dependency: a handle on the durability of one or more writes (soft updates).
//
// Every append takes the Dependency it must wait for and returns the Dependency of its own
// durability. A Dependency is persistent when every write it names has reached the disk and
// been flushed, together with the superblock update that makes the write reachable after a
// crash. `a.And(b)` is persistent when both are. A default-constructed Dependency names nothing
// and is persistent from the start.
//
// Wait() drives the IO scheduler that owns the writes until they are persistent or one fails,
// so a caller never needs a background thread to make progress. A write that can no longer
// become persistent (an IO error, or its store was closed first) makes Wait() return IOError and
// Failed() true.
//
// Thread-safety: a Dependency is a value; copies may be used from any thread. Wait() acquires
// the owning store's lock, so it must not be called while holding it.
#pragma once

#include <memory>
#include <vector>

#include "shardstore/status.h"

namespace shardstore {

class Dependency {
 public:
  Dependency() = default;

  // Persistent when both this and `other` are.
  Dependency And(const Dependency& other) const;

  bool IsPersistent() const;
  // True when some write this names can no longer become persistent.
  bool Failed() const;
  // The first failure among the writes named, or OK; never blocks.
  Status Failure() const;
  // Blocks until persistent (OK) or until some write fails (that failure's Status); writes
  // after the failed one may still be in flight.
  Status Wait() const;
  // Blocks until every write named has settled — persistent or failed — and returns the first
  // failure, or OK.
  Status Settle() const;

  // The number of writes named that are not yet persistent.
  size_t PendingCount() const;

  // One write as the engine tracks it: opaque here, defined inside the engine.
  struct Node;

 private:
  // The engine makes Dependencies on its writes and reads them (src/io/dependency_access.h).
  friend struct DependencyAccess;
  explicit Dependency(std::shared_ptr<Node> node);

  std::vector<std::shared_ptr<Node>> nodes_;
};

}  // namespace shardstore
