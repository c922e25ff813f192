// Linearizability: is there an order of a history's operations, each placed between its
// invocation and its completion, in which every result is what the model says?
//
// The search is Wing and Gong's, with Lowe's memoization ("Testing for linearizability",
// 2017): operations are tried in the order their invocations appear, linearizing one whose call
// is minimal, backtracking when a completion is reached whose operation was not placed; a cache
// of (operations placed, model state) prunes repeated work. The model is a register per key, so
// a history is checked per key (the kv model) or as one register (keys ignored).
//
// Outcomes: ok operations must take effect; fail operations did not and are dropped; info
// operations (outcome unknown) may take effect at any point after their invocation, or never.
//
// On failure the report carries the key and a minimal non-linearizable sub-history of it, found
// by removing chunks of operations, then single ones, while what is left stays non-linearizable.
// Removing a write also removes the reads (and the cas) that saw its value, so the sub-history
// never fails merely because a value it reads was never written. The search is bounded (4,000
// checks); within it no single operation can be removed.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "shardstore/checker/history.h"

namespace shardstore::checker {

enum class LinearizabilityModel : uint8_t {
  kRegister,  // one register: keys are ignored
  kKv,        // a register per key (absent: no value)
};
std::optional<LinearizabilityModel> ParseLinearizabilityModel(std::string_view name);

struct LinearizabilityReport {
  bool linearizable = true;
  uint64_t operations = 0;  // checked (ok and info; fail dropped)
  uint64_t keys = 0;
  uint64_t states = 0;  // search states visited
  std::string key;      // not linearizable: the key
  History minimal;      // not linearizable: a minimal sub-history of that key
};

LinearizabilityReport CheckLinearizability(const History& history, LinearizabilityModel model);

}  // namespace shardstore::checker
