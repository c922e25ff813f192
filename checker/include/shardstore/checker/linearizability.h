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
// Crashes (docs/crash-concurrency.md). A crash event is a point every key's history shares.
// Operations it ended (invoked, never completed), and info operations invoked before it, take
// effect before it or never. Placed, it sets each register to one of the values a power cut may
// leave there: the value of one write placed since the newest placed write reported persistent
// (that one included), or since the previous crash (the value that crash left included); at
// the start, absence. So an acknowledged write may be lost, a persistent one never (unless a
// later write replaced it), and what the crash left is what later reads must see.
//
// On failure the report carries the key and a minimal non-linearizable sub-history of it, found
// by removing chunks of operations, then single ones, while what is left stays non-linearizable.
// Removing a write also removes the reads (and the cas) that saw its value, so the sub-history
// never fails merely because a value it reads was never written. The search is bounded (4,000
// checks); within it no single operation can be removed.
//
// Keeping it tractable: the cache holds 128-bit fingerprints of (operations placed, state)
// (Zobrist hashing, updated as operations are placed and lifted), so its memory does not grow
// with the history's length; an info write or cas whose value nothing reads is dropped (placing
// it can only make later reads fail, and it may never take effect); a read of a value that no
// write invoked before it could have produced fails at once. Beyond that the search is
// exponential in the worst case, so it takes a budget (states, cache entries, seconds): when it
// is spent the verdict is kUnknown, never a guess.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shardstore/checker/history.h"

namespace shardstore::checker {

enum class LinearizabilityModel : uint8_t {
  kRegister,  // one register: keys are ignored
  kKv,        // a register per key (absent: no value)
};
std::optional<LinearizabilityModel> ParseLinearizabilityModel(std::string_view name);

enum class Verdict : uint8_t { kLinearizable, kNotLinearizable, kUnknown };

struct LinearizabilityOptions {
  uint64_t states_max = 0;         // search states over all keys; 0: no limit
  uint64_t cache_entries_max = 0;  // memoized states of one key (about 48 bytes each); 0: none
  double seconds_max = 0;          // wall-clock; 0: no limit
  // Called about every million states with the states so far and the key being checked.
  std::function<void(uint64_t states, const std::string& key)> progress;
};

struct LinearizabilityReport {
  Verdict verdict = Verdict::kLinearizable;
  bool linearizable = true;    // verdict == kLinearizable
  std::string unknown_reason;  // kUnknown: which budget ran out
  uint64_t operations = 0;     // checked (ok and info; fail dropped)
  uint64_t keys = 0;
  uint64_t states = 0;  // search states visited
  std::string key;      // not linearizable: the key
  History minimal;      // not linearizable: a minimal sub-history of that key
  std::vector<size_t> minimal_positions;  // its events' positions in the history
  // Not linearizable: the deepest partial linearization of that key's history the search
  // reached (the positions of the invocations it placed, in order), and the completed
  // operations it left out (their invocations' positions, ascending).
  std::vector<size_t> longest_partial;
  std::vector<size_t> unplaced;
};

LinearizabilityReport CheckLinearizability(const History& history, LinearizabilityModel model,
                                           const LinearizabilityOptions& options = {});

}  // namespace shardstore::checker
