#include "shardstore/checker/linearizability.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>
#include <vector>

namespace shardstore::checker {
namespace {

constexpr uint64_t kNever = UINT64_MAX;  // an info operation's completion

struct Operation {
  OpFunction f;
  int value;     // interned; 0 is "no value"
  int expected;  // cas
  bool info;
  size_t call;  // position of its invocation event
  size_t done;  // position of its completion event; kNever for info
};

struct Entry {
  bool is_call;
  uint32_t op;
  Entry* prev = nullptr;
  Entry* next = nullptr;
  Entry* match = nullptr;  // a call's return entry
};

struct CacheKey {
  std::vector<uint64_t> placed;
  int state;
  bool operator==(const CacheKey&) const = default;
};
struct CacheHash {
  size_t operator()(const CacheKey& k) const {
    uint64_t h = 1469598103934665603ull ^ static_cast<uint64_t>(k.state);
    for (uint64_t w : k.placed) h = (h ^ w) * 1099511628211ull;
    return static_cast<size_t>(h);
  }
};

// One key's operations, from its events (positions index the whole history).
struct KeyHistory {
  std::vector<Operation> ops;
  std::vector<size_t> events;  // positions in the history of its events
};

bool Step(const Operation& op, int state, int* next) {
  switch (op.f) {
    case OpFunction::kRead:
      *next = state;
      return op.value == state;
    case OpFunction::kWrite:
      *next = op.value;
      return true;
    case OpFunction::kCas:
      *next = op.value;
      return op.expected == state;
    case OpFunction::kExists:  // value 1: the key has one; 0: it has none
      *next = state;
      return (state != 0) == (op.value != 0);
  }
  return false;
}

// Wing–Gong–Lowe over `ops`; counts states into *states.
bool Linearizable(const std::vector<Operation>& ops, uint64_t* states) {
  std::vector<Entry> entries;
  entries.reserve(2 * ops.size() + 1);
  struct Timed {
    uint64_t at;
    bool is_call;
    uint32_t op;
  };
  std::vector<Timed> timeline;
  uint64_t remaining = 0;
  for (uint32_t i = 0; i < ops.size(); ++i) {
    timeline.push_back({ops[i].call, true, i});
    // Info completions go last, after every real event, in invocation order.
    timeline.push_back({ops[i].info ? kNever - ops.size() + i : ops[i].done, false, i});
    if (!ops[i].info) ++remaining;
  }
  std::sort(timeline.begin(), timeline.end(),
            [](const Timed& a, const Timed& b) { return a.at < b.at; });
  entries.push_back({false, 0});  // head
  std::vector<Entry*> call_of(ops.size()), return_of(ops.size());
  for (const Timed& t : timeline) {
    entries.push_back({t.is_call, t.op});
    Entry* e = &entries.back();
    (t.is_call ? call_of : return_of)[t.op] = e;
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    entries[i].prev = i > 0 ? &entries[i - 1] : nullptr;
    entries[i].next = i + 1 < entries.size() ? &entries[i + 1] : nullptr;
  }
  for (uint32_t i = 0; i < ops.size(); ++i) call_of[i]->match = return_of[i];
  Entry* head = &entries[0];
  auto lift = [](Entry* e) {
    for (Entry* x : {e, e->match}) {
      x->prev->next = x->next;
      if (x->next) x->next->prev = x->prev;
    }
  };
  auto unlift = [](Entry* e) {
    for (Entry* x : {e->match, e}) {
      x->prev->next = x;
      if (x->next) x->next->prev = x;
    }
  };

  std::vector<uint64_t> placed((ops.size() + 63) / 64, 0);
  std::unordered_set<CacheKey, CacheHash> cache;
  struct Frame {
    Entry* call;
    int state;
  };
  std::vector<Frame> stack;
  int state = 0;
  Entry* entry = head->next;
  while (remaining > 0 && entry != nullptr) {
    ++*states;
    const Operation& op = ops[entry->op];
    if (entry->is_call) {
      int next = 0;
      if (Step(op, state, &next)) {
        placed[entry->op / 64] |= uint64_t{1} << (entry->op % 64);
        if (cache.insert({placed, next}).second) {
          stack.push_back({entry, state});
          state = next;
          if (!op.info) --remaining;
          lift(entry);
          entry = head->next;
          continue;
        }
        placed[entry->op / 64] &= ~(uint64_t{1} << (entry->op % 64));
      }
      entry = entry->next;
      continue;
    }
    // A completion whose operation is not placed yet (info completions come after every real
    // one, so reaching one means all ok operations are placed).
    if (op.info) return true;
    if (stack.empty()) return false;
    const Frame frame = stack.back();
    stack.pop_back();
    const Operation& undone = ops[frame.call->op];
    placed[frame.call->op / 64] &= ~(uint64_t{1} << (frame.call->op % 64));
    state = frame.state;
    if (!undone.info) ++remaining;
    unlift(frame.call);
    entry = frame.call->next;
  }
  return true;
}

// The operations of `history` restricted to the events at `events` (pairs of invoke and
// completion), with values interned in `values`.
KeyHistory Build(const History& history, const std::vector<size_t>& events,
                 std::map<Value, int>* values) {
  auto intern = [&](const Value& v) {
    if (!v) return 0;
    return values->try_emplace(v, static_cast<int>(values->size()) + 1).first->second;
  };
  KeyHistory key;
  key.events = events;
  std::map<uint32_t, size_t> open;  // process → position of its invocation
  for (size_t position : events) {
    const Event& e = history[position];
    if (e.type == EventType::kInvoke) {
      open[e.process] = position;
      continue;
    }
    auto it = open.find(e.process);
    if (it == open.end()) continue;
    const size_t call = it->second;
    open.erase(it);
    if (e.type == EventType::kFail) continue;
    const bool info = e.type == EventType::kInfo;
    if (info && IsRead(e.f)) continue;  // constrains nothing
    const Event& invoke = history[call];
    const int value = e.f == OpFunction::kExists ? (e.value == "true" ? 1 : 0)
                      : e.f == OpFunction::kRead ? intern(e.value)
                                                 : intern(invoke.value);
    key.ops.push_back({e.f, value, intern(invoke.expected), info, call, info ? kNever : position});
  }
  // An invocation never completed is an info operation.
  for (const auto& [process, call] : open) {
    const Event& invoke = history[call];
    if (IsRead(invoke.f)) continue;
    key.ops.push_back(
        {invoke.f, intern(invoke.value), intern(invoke.expected), true, call, kNever});
  }
  return key;
}

bool EventsLinearizable(const History& history, const std::vector<size_t>& events,
                        uint64_t* states) {
  std::map<Value, int> values;
  return Linearizable(Build(history, events, &values).ops, states);
}

// Removes operations (both events) while the rest stays non-linearizable: chunks first, then
// single operations, so no single one can be removed at the end (within a bound on the work).
std::vector<size_t> Minimize(const History& history, std::vector<size_t> events) {
  uint64_t states = 0;
  int checks = 0;
  constexpr int kChecksMax = 4000;
  // Pairs: the invoke position and its completion position (if any), in order of invocation.
  auto pairs_of = [&](const std::vector<size_t>& evs) {
    std::vector<std::vector<size_t>> pairs;
    std::map<uint32_t, size_t> open;
    for (size_t position : evs) {
      const Event& e = history[position];
      if (e.type == EventType::kInvoke) {
        open[e.process] = pairs.size();
        pairs.push_back({position});
      } else if (auto it = open.find(e.process); it != open.end()) {
        pairs[it->second].push_back(position);
        open.erase(it);
      }
    }
    return pairs;
  };
  auto flatten = [](const std::vector<std::vector<size_t>>& pairs) {
    std::vector<size_t> evs;
    for (const auto& p : pairs) evs.insert(evs.end(), p.begin(), p.end());
    std::sort(evs.begin(), evs.end());
    return evs;
  };
  std::vector<std::vector<size_t>> pairs = pairs_of(events);
  for (size_t chunk = std::max<size_t>(1, pairs.size() / 2); chunk >= 1 && checks < kChecksMax;
       chunk /= 2) {
    for (size_t start = 0; start < pairs.size() && checks < kChecksMax;) {
      std::vector<std::vector<size_t>> fewer = pairs;
      const auto first = fewer.begin() + static_cast<std::ptrdiff_t>(start);
      const auto last =
          fewer.begin() + static_cast<std::ptrdiff_t>(std::min(pairs.size(), start + chunk));
      // A read of a value whose write is removed would fail for that reason alone: it goes too.
      std::set<Value> gone;
      for (auto it = first; it != last; ++it) {
        const Event& invoke = history[it->front()];
        if (!IsRead(invoke.f)) gone.insert(invoke.value);
      }
      fewer.erase(first, last);
      std::erase_if(fewer, [&](const std::vector<size_t>& pair) {
        const Event& done = history[pair.back()];
        const Event& invoke = history[pair.front()];
        if (invoke.f == OpFunction::kRead)
          return pair.size() == 2 && done.value && gone.contains(done.value);
        return invoke.f == OpFunction::kCas && invoke.expected && gone.contains(invoke.expected);
      });
      ++checks;
      if (!fewer.empty() && !EventsLinearizable(history, flatten(fewer), &states)) {
        pairs = std::move(fewer);
      } else {
        start += chunk;
      }
    }
    if (chunk == 1) break;
  }
  return flatten(pairs);
}

}  // namespace

std::optional<LinearizabilityModel> ParseLinearizabilityModel(std::string_view name) {
  if (name == "register") return LinearizabilityModel::kRegister;
  if (name == "kv") return LinearizabilityModel::kKv;
  return std::nullopt;
}

LinearizabilityReport CheckLinearizability(const History& history, LinearizabilityModel model) {
  LinearizabilityReport report;
  std::map<std::string, std::vector<size_t>> by_key;
  for (size_t i = 0; i < history.size(); ++i) {
    by_key[model == LinearizabilityModel::kKv ? history[i].key : std::string()].push_back(i);
  }
  report.keys = by_key.size();
  for (const auto& [key, events] : by_key) {
    std::map<Value, int> values;
    const KeyHistory built = Build(history, events, &values);
    report.operations += built.ops.size();
    if (Linearizable(built.ops, &report.states)) continue;
    report.linearizable = false;
    report.key = key;
    for (size_t position : Minimize(history, events)) report.minimal.push_back(history[position]);
    return report;
  }
  return report;
}

}  // namespace shardstore::checker
