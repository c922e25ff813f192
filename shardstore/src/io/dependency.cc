#include "shardstore/dependency.h"

#include <algorithm>

#include "hooks/coverage_site.h"
#include "io/write_node.h"

namespace shardstore {

using internal::WriteNode;
using internal::WriteState;

Dependency::Dependency(std::shared_ptr<WriteNode> node) { nodes_.push_back(std::move(node)); }

Dependency Dependency::And(const Dependency& other) const {
  Dependency joined;
  joined.nodes_.reserve(nodes_.size() + other.nodes_.size());
  // Durable nodes carry no information any more; dropping them keeps chains of And short.
  for (const auto* source : {&nodes_, &other.nodes_}) {
    for (const auto& node : *source) {
      if (node->Load() == WriteState::kDurable) continue;
      if (std::find(joined.nodes_.begin(), joined.nodes_.end(), node) != joined.nodes_.end()) {
        continue;
      }
      joined.nodes_.push_back(node);
    }
  }
  return joined;
}

bool Dependency::IsPersistent() const {
  return std::all_of(nodes_.begin(), nodes_.end(),
                     [](const auto& node) { return node->Load() == WriteState::kDurable; });
}

bool Dependency::Failed() const {
  return std::any_of(nodes_.begin(), nodes_.end(),
                     [](const auto& node) { return node->Load() == WriteState::kFailed; });
}

Status Dependency::Failure() const {
  for (const auto& node : nodes_) {
    if (node->Load() == WriteState::kFailed) return node->error;
  }
  return Status::Ok();
}

size_t Dependency::PendingCount() const {
  return static_cast<size_t>(std::count_if(nodes_.begin(), nodes_.end(), [](const auto& node) {
    return node->Load() != WriteState::kDurable;
  }));
}

namespace {

SS_COVERAGE_POINT(kWaitFoundWriteIssued,
                  "a wait found its write issued, under another thread's flush in flight");

// Drives `node` to a final state. An error means the driver could not (the node may not be).
Status DriveToSettled(const WriteNode& node) {
  if (node.Settled()) return Status::Ok();
  const internal::DriverLink::Drive drive(*node.link);
  if (node.Settled()) return Status::Ok();
  if (drive.driver() == nullptr) {
    return Status::IOError("the store was closed before this write became persistent");
  }
  SS_RETURN_IF_ERROR(drive.driver()->DriveUntilSettled(node));
  SS_ASSERT(node.Settled());
  return Status::Ok();
}

}  // namespace

Status Dependency::Wait() const {
  for (const auto& node : nodes_) {
    if (node->Load() == WriteState::kIssued) {
      // Only a driver inside its flush leaves a write issued; DriveToSettled waits for it.
      SS_COVER(kWaitFoundWriteIssued);
    }
    SS_RETURN_IF_ERROR(DriveToSettled(*node));
    if (node->Load() == WriteState::kFailed) return node->error;
  }
  return Status::Ok();
}

Status Dependency::Settle() const {
  Status first;
  for (const auto& node : nodes_) {
    Status status = DriveToSettled(*node);
    if (status.ok() && node->Load() == WriteState::kFailed) status = node->error;
    if (first.ok() && !status.ok()) first = std::move(status);
  }
  return first;
}

}  // namespace shardstore
