// MapModel: the shape every reference model shares — a map from a key to what the component
// promises to hold there. Pure (no IO, no threads) and small: all models together stay under
// 2% of the engine's lines. Thread-safety: a value; not thread-safe.
#pragma once

#include <map>
#include <vector>

namespace shardstore::models {

template <typename Key, typename Value>
class MapModel {
 public:
  void Put(const Key& key, Value value) { entries_[key] = std::move(value); }
  void Delete(const Key& key) { entries_.erase(key); }

  // The value at `key`, or null; valid until the next change.
  const Value* Get(const Key& key) const {
    auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : &it->second;
  }

  // Every key that holds a value, ascending.
  std::vector<Key> List() const {
    std::vector<Key> keys;
    for (const auto& entry : entries_) keys.push_back(entry.first);
    return keys;
  }

  // Removes every entry for which pred(key, value) holds.
  template <typename Pred>
  void EraseIf(Pred pred) {
    std::erase_if(entries_, [&](const auto& entry) { return pred(entry.first, entry.second); });
  }

  const std::map<Key, Value>& entries() const { return entries_; }

 private:
  std::map<Key, Value> entries_;
};

}  // namespace shardstore::models
