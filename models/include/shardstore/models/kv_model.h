// KvModel: the reference model of the whole store — key → value, and what a crash may leave.
//
// Every Put and Delete is a write with an id. The harness reports each write's Dependency as it
// settles: Persisted (it survives a crash) or Failed (as if never made). Per key the model keeps
// the newest persistent value first (initially: no value) and every write after it. The last is
// what a Get must return; a crash may leave any of them, and Recovered() records which one the
// store came back with.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace shardstore::models {

class KvModel {
 public:
  using Value = std::optional<std::vector<uint8_t>>;  // nullopt: no value
  struct Version {
    uint64_t id;
    Value value;
  };

  uint64_t Write(const std::string& key, Value value) {
    History(key).push_back({next_id_, std::move(value)});
    return next_id_++;
  }
  void Persisted(uint64_t id) { Settle(id, true); }
  void Failed(uint64_t id) { Settle(id, false); }
  // What a crash now may leave for each key: its writes, the newest last.
  const std::map<std::string, std::vector<Version>>& writes() const { return writes_; }
  // After recovery the store holds `value` for `key`, durably.
  void Recovered(const std::string& key, Value value) { writes_[key] = {{0, std::move(value)}}; }

 private:
  std::vector<Version>& History(const std::string& key) {
    auto [it, fresh] = writes_.try_emplace(key, std::vector<Version>{{0, std::nullopt}});
    return it->second;
  }
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

  std::map<std::string, std::vector<Version>> writes_;
  uint64_t next_id_ = 1;
};

}  // namespace shardstore::models
