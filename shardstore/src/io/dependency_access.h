// DependencyAccess: the engine's side of a Dependency — making one on a write, and reading the
// writes one names. Users only ever receive Dependencies; the IO scheduler makes them.
//
// Thread-safety: as Dependency (a value).
#pragma once

#include <memory>
#include <vector>

#include "shardstore/dependency.h"

namespace shardstore {

struct DependencyAccess {
  // A Dependency on one write.
  static Dependency Of(std::shared_ptr<Dependency::Node> node) { return Dependency(std::move(node)); }
  static const std::vector<std::shared_ptr<Dependency::Node>>& Nodes(const Dependency& dependency) {
    return dependency.nodes_;
  }
};

}  // namespace shardstore
