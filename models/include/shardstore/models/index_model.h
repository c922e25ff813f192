// IndexModel: the reference model of the LSM index — a map from key to the locators of its
// value's chunks. A delete removes the key: whether the index keeps a tombstone or has
// compacted it away, a lookup must find no value.
//
// Thread-safety: a value; not thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "shardstore/locator.h"

namespace shardstore::models {

class IndexModel {
 public:
  void Put(const std::string& key, std::vector<Locator> parts) { parts_[key] = std::move(parts); }
  void Delete(const std::string& key) { parts_.erase(key); }

  std::optional<std::vector<Locator>> Get(const std::string& key) const {
    auto it = parts_.find(key);
    if (it == parts_.end()) return std::nullopt;
    return it->second;
  }

  // Every key with a value, ascending.
  std::vector<std::string> List() const {
    std::vector<std::string> keys;
    for (const auto& [key, parts] : parts_) keys.push_back(key);
    return keys;
  }

 private:
  std::map<std::string, std::vector<Locator>> parts_;
};

}  // namespace shardstore::models
