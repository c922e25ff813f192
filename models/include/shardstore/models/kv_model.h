// KvModel: the reference model of the whole store — a map from key to bytes.
//
// Pure: no IO, no threads. It exposes the store's operations with the store's meaning, so a
// checker runs the same sequence on both and compares what each observable operation returns.
// Crash semantics (which values a crash may leave) belong to the crash-consistency work.
//
// Thread-safety: a value; not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace shardstore::models {

class KvModel {
 public:
  using Bytes = std::vector<uint8_t>;

  void Put(const std::string& key, Bytes value) { values_[key] = std::move(value); }
  void Delete(const std::string& key) { values_.erase(key); }

  // The value of `key`, or null; valid until the next change.
  const Bytes* Get(const std::string& key) const {
    auto it = values_.find(key);
    return it == values_.end() ? nullptr : &it->second;
  }

  // Every key with a value, ascending.
  std::vector<std::string> List() const {
    std::vector<std::string> keys;
    keys.reserve(values_.size());
    for (const auto& [key, value] : values_) keys.push_back(key);
    return keys;
  }

 private:
  std::map<std::string, Bytes> values_;
};

}  // namespace shardstore::models
