// CrashHistory: a map whose every write may or may not survive a crash until it is settled.
//
// Every write of a value (or of its absence) to a key gets an id. The harness reports each
// write's Dependency as it settles: Persisted (it survives a crash) or Failed (as if never made).
// Per key the model keeps the newest persistent value first (initially: absent) and every write
// after it. The last is what a read must return; a crash may leave any of them, and Recovered()
// records which one the component came back with.
//
// KvModel (key → bytes) and ChunkStoreModel (locator → chunk) are both this.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace shardstore::models {

template <typename Key, typename T>
class CrashHistory {
 public:
  using Value = std::optional<T>;  // nullopt: absent
  struct Version {
    uint64_t id;
    Value value;
  };

  uint64_t Write(const Key& key, Value value) {
    auto [it, fresh] = writes_.try_emplace(key, std::vector<Version>{{0, std::nullopt}});
    it->second.push_back({next_id_, std::move(value)});
    return next_id_++;
  }
  void Persisted(uint64_t id) { Settle(id, true); }
  void Failed(uint64_t id) { Settle(id, false); }
  // What a crash now may leave for each key: its writes, the newest last.
  const std::map<Key, std::vector<Version>>& writes() const { return writes_; }
  // What a read must return now.
  const Value& Current(const Key& key) const {
    static const Value kAbsent;
    auto it = writes_.find(key);
    return it == writes_.end() ? kAbsent : it->second.back().value;
  }
  // After recovery the component holds `value` for `key`, durably.
  void Recovered(const Key& key, Value value) { writes_[key] = {{0, std::move(value)}}; }

 private:
  void Settle(uint64_t id, bool persistent) {
    for (auto& [key, writes] : writes_) {
      for (size_t i = 1; i < writes.size(); ++i) {
        if (writes[i].id != id) continue;
        // A failed write never happened; a persistent one makes every older one unreachable.
        auto first = writes.begin() + static_cast<std::ptrdiff_t>(persistent ? 0 : i);
        writes.erase(first, writes.begin() + static_cast<std::ptrdiff_t>(i) + !persistent);
        return;
      }
    }
  }

  std::map<Key, std::vector<Version>> writes_;
  uint64_t next_id_ = 1;
};

}  // namespace shardstore::models
