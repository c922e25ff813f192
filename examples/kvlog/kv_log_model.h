// The model of KvLog: a map, split into what is durable and the Puts since the last Sync.
//
// Current() is what Get must see. A crash may keep, of the pending Puts, any prefix in order:
// RecoveredAs() says which one the recovered contents are, if any.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kvlog {

struct KvLogModel {
  std::map<std::string, std::string> durable;
  std::vector<std::pair<std::string, std::string>> pending;  // Puts since the last Sync
  uint64_t records = 0;                                      // records in the log
  uint64_t slots = 0;                                        // records the disk holds

  std::map<std::string, std::string> Current() const { return WithPending(pending.size()); }

  // durable, then the first `count` pending Puts.
  std::map<std::string, std::string> WithPending(size_t count) const {
    std::map<std::string, std::string> state = durable;
    for (size_t i = 0; i < count; ++i) state[pending[i].first] = pending[i].second;
    return state;
  }

  // The number of pending Puts a crash kept, if `recovered` is durable plus a prefix of them.
  std::optional<size_t> RecoveredAs(const std::map<std::string, std::string>& recovered) const {
    for (size_t kept = 0; kept <= pending.size(); ++kept) {
      if (WithPending(kept) == recovered) return kept;
    }
    return std::nullopt;
  }
};

}  // namespace kvlog
