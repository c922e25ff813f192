#include "shardstore/checker/linearizability.h"

#include <algorithm>
#include <chrono>
#include <iterator>
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
  size_t done;  // position of its completion event; kNever for info; a killed one: its crash's
  bool persistent = false;  // an ok write or cas reported persistent before the next crash
  bool crash = false;       // a power cut (call == done: its position)
  bool killed = false;      // info, and a crash came after its invocation: before it or never
};

struct Entry {
  bool is_call;
  uint32_t op;
  Entry* prev = nullptr;
  Entry* next = nullptr;
  Entry* match = nullptr;  // a call's return entry
};

// A 128-bit fingerprint of (operations placed, state): Zobrist hashing, so placing or lifting
// an operation updates it in O(1) and an entry costs 16 bytes whatever the history's length.
struct Fingerprint {
  uint64_t low = 0, high = 0;
  bool operator==(const Fingerprint&) const = default;
};
struct FingerprintHash {
  size_t operator()(const Fingerprint& f) const { return static_cast<size_t>(f.low); }
};

uint64_t Mix(uint64_t x) {  // SplitMix64's finalizer
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
Fingerprint OpKey(uint32_t op) { return {Mix(2 * uint64_t{op}), Mix(2 * uint64_t{op} + 1)}; }
Fingerprint With(Fingerprint placed, int state, bool must_observe, uint64_t survivors) {
  const uint64_t s = static_cast<uint64_t>(static_cast<int64_t>(state)) * 2 + must_observe;
  return {placed.low ^ Mix(s ^ 0x5bd1e995ull) ^ survivors,
          placed.high ^ Mix(~s) ^ Mix(survivors ^ 0x2545f4914f6cdd1dull)};
}

// What a crash may leave of one key: the value of each write placed since the newest placed
// persistent one (that one included), or since the last crash (the value it left included).
// Sorted, no duplicates; small (the writes of one key between two crashes).
using Survivors = std::vector<int>;
uint64_t HashOf(const Survivors& survivors) {
  uint64_t h = 0;
  for (int v : survivors) h ^= Mix(0x9e3779b97f4a7c15ull * (static_cast<uint64_t>(v) + 1));
  return h;
}
void Add(Survivors* survivors, int value) {
  auto it = std::lower_bound(survivors->begin(), survivors->end(), value);
  if (it == survivors->end() || *it != value) survivors->insert(it, value);
}

enum class Answer : uint8_t { kYes, kNo, kUnknown };

// What a search may spend, shared by every key of one check.
struct Budget {
  const LinearizabilityOptions* options;
  std::chrono::steady_clock::time_point start;
  uint64_t* states;
  const std::string* key;
  std::string reason;  // why it ran out
  // True while there is budget left; called once per state.
  bool Spend(size_t cache_entries) {
    ++*states;
    const LinearizabilityOptions& o = *options;
    if (o.states_max && *states > o.states_max) {
      reason = "the search state budget (" + std::to_string(o.states_max) + ") ran out";
      return false;
    }
    if (o.cache_entries_max && cache_entries > o.cache_entries_max) {
      reason =
          "the memory budget (" + std::to_string(o.cache_entries_max) + " cached states) ran out";
      return false;
    }
    if ((*states & 0xFFFFF) == 0) {
      if (o.progress) o.progress(*states, *key);
      if (o.seconds_max > 0 &&
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >
              o.seconds_max) {
        reason = "the time budget (" + std::to_string(o.seconds_max) + " s) ran out";
        return false;
      }
    }
    return true;
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

// Values a read or a cas depends on: an info write (or cas) of any other value may be dropped,
// since placing it can only make later reads fail and it may never take effect.
std::vector<Operation> DropUnobservedInfoWrites(const std::vector<Operation>& ops) {
  std::set<int> observed;
  bool any_present = false, any_absent = false;
  for (const Operation& op : ops) {
    if (op.crash) continue;
    if (op.f == OpFunction::kRead && !op.info) observed.insert(op.value);
    if (op.f == OpFunction::kCas) observed.insert(op.expected);
    if (op.f == OpFunction::kExists && !op.info) (op.value != 0 ? any_present : any_absent) = true;
  }
  std::vector<Operation> kept;
  for (const Operation& op : ops) {
    const bool writes = !op.crash && (op.f == OpFunction::kWrite || op.f == OpFunction::kCas);
    const bool seen = observed.contains(op.value) || (op.value != 0 && any_present) ||
                      (op.value == 0 && any_absent);
    if (op.info && writes && !seen) continue;
    kept.push_back(op);
  }
  return kept;
}

// A read (or cas) of a value that no write invoked before it completes could have produced.
bool ReadsTheImpossible(const std::vector<Operation>& ops) {
  std::map<int, size_t> first_write;  // value → earliest invocation of a write of it
  for (const Operation& op : ops) {
    if (op.crash || (op.f != OpFunction::kWrite && op.f != OpFunction::kCas)) continue;
    auto [it, fresh] = first_write.try_emplace(op.value, op.call);
    if (!fresh) it->second = std::min(it->second, op.call);
  }
  for (const Operation& op : ops) {
    const bool reads =
        !op.info && !op.crash && (op.f == OpFunction::kRead || op.f == OpFunction::kCas);
    const int needed = op.f == OpFunction::kCas ? op.expected : op.value;
    if (!reads || needed == 0) continue;  // the initial state has no value
    auto it = first_write.find(needed);
    if (it == first_write.end() || it->second > op.done) return true;
  }
  return false;
}

// Wing–Gong–Lowe over `ops`. An info write (or cas) is only placed right before an operation
// that observes the value it leaves (a read, an exists, a cas, or a crash, which may keep it):
// any linearization can be rearranged so (moving it later is always allowed — before its crash,
// if one ended it — and until its first observer nothing else may come between, or it is
// useless), and it spares the search every order of pending writes that nothing reads.
//
// Crashes. Besides the register's value the search carries its survivors: what a crash now may
// leave (see Survivors). Placing a crash tries each survivor in turn as the value it leaves;
// operations its crash ended and that are not placed by then are dropped (they never took
// effect). Placing a persistent write leaves it the only survivor.
// `longest`, if given, gets the invocation positions of the deepest partial linearization the
// search reached, in the order it placed them.
Answer Linearizable(const std::vector<Operation>& all_ops, Budget* budget,
                    std::vector<size_t>* longest = nullptr) {
  if (ReadsTheImpossible(all_ops)) return Answer::kNo;
  const std::vector<Operation> ops = DropUnobservedInfoWrites(all_ops);
  std::vector<Entry> entries;
  entries.reserve(2 * ops.size() + 1);
  struct Timed {
    uint64_t at;
    bool is_call;
    uint32_t op;
  };
  // Event positions are scaled by 4 so that, at a crash, the completions of the operations it
  // ended come first (+0), then the crash's call (+1) and its completion (+2).
  std::vector<Timed> timeline;
  uint64_t remaining = 0;
  std::vector<uint32_t> crashes;  // ops that are crashes, in order
  for (uint32_t i = 0; i < ops.size(); ++i) {
    const Operation& op = ops[i];
    timeline.push_back({4 * uint64_t{op.call} + 1, true, i});
    uint64_t done = 4 * uint64_t{op.done} + 1;
    if (op.crash) done = 4 * uint64_t{op.done} + 2;
    if (op.killed) done = 4 * uint64_t{op.done};
    // Other info completions go last, after every real event, in invocation order.
    if (op.info && !op.killed) done = kNever - ops.size() + i;
    timeline.push_back({done, false, i});
    if (!op.info) ++remaining;
    if (op.crash) crashes.push_back(i);
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
  // The killed operations of each crash, by the crash's op index.
  std::map<uint32_t, std::vector<uint32_t>> killed_by;
  for (uint32_t i = 0; i < ops.size(); ++i) {
    if (!ops[i].killed) continue;
    for (uint32_t c : crashes) {
      if (ops[c].call == ops[i].done) killed_by[c].push_back(i);
    }
  }
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
  auto toggle = [](Fingerprint* placed, uint32_t op) {
    const Fingerprint key = OpKey(op);
    placed->low ^= key.low;
    placed->high ^= key.high;
  };

  Fingerprint placed;
  std::unordered_set<Fingerprint, FingerprintHash> cache;
  struct Frame {
    Entry* call;
    int state;
    bool must_observe;
    Survivors survivors;
    uint32_t choice = 0;          // a crash: the survivor it left
    std::vector<Entry*> dropped;  // a crash: the operations it ended, not placed
  };
  std::vector<Frame> stack;
  auto note_depth = [&] {
    if (longest == nullptr || stack.size() <= longest->size()) return;
    longest->clear();
    for (const Frame& frame : stack) longest->push_back(ops[frame.call->op].call);
  };
  int state = 0;
  Survivors survivors = {0};  // the initial absence is durable
  bool must_observe = false;  // an info write was just placed: an observer of it comes next
  Entry* retry = nullptr;     // a crash to place again, with its next survivor
  uint32_t retry_choice = 0;
  Entry* entry = head->next;
  while (remaining > 0 && entry != nullptr) {
    if (!budget->Spend(cache.size())) return Answer::kUnknown;
    const Operation& op = ops[entry->op];
    if (entry->is_call && op.crash) {
      const uint32_t first = entry == retry ? retry_choice : 0;
      retry = nullptr;
      bool done = false;
      for (uint32_t choice = first; choice < survivors.size() && !done; ++choice) {
        const int left = survivors[choice];
        Fingerprint with = placed;
        toggle(&with, entry->op);
        std::vector<Entry*> dropped;
        for (uint32_t k : killed_by[entry->op]) {
          if (call_of[k]->prev->next != call_of[k]) continue;  // lifted: placed already
          toggle(&with, k);
          dropped.push_back(call_of[k]);
        }
        if (!cache.insert(With(with, left, false, HashOf({left}))).second) continue;
        stack.push_back({entry, state, must_observe, survivors, choice, dropped});
        note_depth();
        for (Entry* d : dropped) lift(d);
        placed = with;
        state = left;
        survivors = {left};
        must_observe = false;
        --remaining;
        lift(entry);
        entry = head->next;
        done = true;
      }
      if (!done) entry = entry->next;
      continue;
    }
    if (entry->is_call) {
      const bool observes = op.f != OpFunction::kWrite;
      const bool leaves_pending = op.info && op.f != OpFunction::kRead;
      int next = 0;
      if ((observes || !must_observe) && Step(op, state, &next)) {
        Survivors after = survivors;
        if (op.f == OpFunction::kWrite || op.f == OpFunction::kCas) {
          if (op.persistent) after.clear();
          Add(&after, next);
        }
        toggle(&placed, entry->op);
        if (cache.insert(With(placed, next, leaves_pending, HashOf(after))).second) {
          stack.push_back({entry, state, must_observe, std::move(survivors), 0, {}});
          note_depth();
          state = next;
          survivors = std::move(after);
          must_observe = leaves_pending;
          if (!op.info) --remaining;
          lift(entry);
          entry = head->next;
          continue;
        }
        toggle(&placed, entry->op);
      }
      entry = entry->next;
      continue;
    }
    // A completion whose operation is not placed yet. One a crash ended may be skipped: the
    // operation never took effect. Other info completions come after every real one, so
    // reaching one means all ok operations are placed.
    if (op.killed) {
      entry = entry->next;
      continue;
    }
    if (op.info) return Answer::kYes;
    if (stack.empty()) return Answer::kNo;
    Frame frame = std::move(stack.back());
    stack.pop_back();
    const Operation& undone = ops[frame.call->op];
    toggle(&placed, frame.call->op);
    state = frame.state;
    must_observe = frame.must_observe;
    survivors = std::move(frame.survivors);
    if (!undone.info) ++remaining;
    unlift(frame.call);
    entry = frame.call->next;
    if (undone.crash) {
      for (auto it = frame.dropped.rbegin(); it != frame.dropped.rend(); ++it) {
        unlift(*it);
        toggle(&placed, (*it)->op);
      }
      // The same crash again, leaving the next survivor.
      retry = frame.call;
      retry_choice = frame.choice + 1;
      entry = frame.call;
    }
  }
  return Answer::kYes;
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
  std::vector<size_t> crashes;
  // An operation a crash ended: info, done by the crash.
  auto killed = [&](size_t call, size_t crash) {
    const Event& invoke = history[call];
    Operation op{invoke.f, intern(invoke.value), intern(invoke.expected), true, call, crash};
    op.killed = true;
    return op;
  };
  for (size_t position : events) {
    const Event& e = history[position];
    if (e.type == EventType::kCrash) {
      for (const auto& [process, call] : open) {
        if (!IsRead(history[call].f)) key.ops.push_back(killed(call, position));
      }
      open.clear();
      Operation crash{OpFunction::kWrite, 0, 0, false, position, position};
      crash.crash = true;
      key.ops.push_back(crash);
      crashes.push_back(position);
      continue;
    }
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
    Operation op{e.f, value, intern(invoke.expected), info, call, info ? kNever : position};
    op.persistent = e.persistent && !info;
    key.ops.push_back(op);
  }
  // An invocation never completed is an info operation.
  for (const auto& [process, call] : open) {
    const Event& invoke = history[call];
    if (IsRead(invoke.f)) continue;
    key.ops.push_back(
        {invoke.f, intern(invoke.value), intern(invoke.expected), true, call, kNever});
  }
  // An info operation takes effect before the first crash after its invocation, or never: the
  // process that would have finished it is gone.
  for (Operation& op : key.ops) {
    if (!op.info || op.killed) continue;
    auto crash = std::upper_bound(crashes.begin(), crashes.end(), op.call);
    if (crash == crashes.end()) continue;
    op.killed = true;
    op.done = *crash;
  }
  return key;
}

// Within a budget of its own: an answer that runs out counts as linearizable (the minimizer then
// keeps what it would have removed).
bool EventsLinearizable(const History& history, const std::vector<size_t>& events,
                        uint64_t* states) {
  std::map<Value, int> values;
  LinearizabilityOptions options;
  options.states_max = *states + 1'000'000;
  const std::string key;
  Budget budget{&options, std::chrono::steady_clock::now(), states, &key, {}};
  return Linearizable(Build(history, events, &values).ops, &budget) != Answer::kNo;
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
      if (e.type == EventType::kCrash) {
        open.clear();
        continue;
      }
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
  std::vector<size_t> kept_crashes;  // filled below, before the first flatten
  auto flatten = [&kept_crashes](const std::vector<std::vector<size_t>>& pairs) {
    std::vector<size_t> evs = kept_crashes;
    for (const auto& p : pairs) evs.insert(evs.end(), p.begin(), p.end());
    std::sort(evs.begin(), evs.end());
    return evs;
  };
  // Crash events stay: removing one would change what every operation around it means.
  std::vector<size_t> crashes;
  for (size_t position : events) {
    if (history[position].type == EventType::kCrash) crashes.push_back(position);
  }
  std::vector<std::vector<size_t>> pairs = pairs_of(events);
  kept_crashes = crashes;
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

LinearizabilityReport CheckLinearizability(const History& history, LinearizabilityModel model,
                                           const LinearizabilityOptions& options) {
  LinearizabilityReport report;
  std::map<std::string, std::vector<size_t>> by_key;
  std::vector<size_t> crashes;  // every key's: a power cut falls on all of them
  for (size_t i = 0; i < history.size(); ++i) {
    if (history[i].type == EventType::kCrash) {
      crashes.push_back(i);
      continue;
    }
    by_key[model == LinearizabilityModel::kKv ? history[i].key : std::string()].push_back(i);
  }
  for (auto& [key, events] : by_key) {
    std::vector<size_t> merged;
    std::merge(events.begin(), events.end(), crashes.begin(), crashes.end(),
               std::back_inserter(merged));
    events = std::move(merged);
  }
  report.keys = by_key.size();
  const auto start = std::chrono::steady_clock::now();
  for (const auto& [key, events] : by_key) {
    std::map<Value, int> values;
    const KeyHistory built = Build(history, events, &values);
    report.operations += built.ops.size();
    Budget budget{&options, start, &report.states, &key, {}};
    std::vector<size_t> longest;
    const Answer answer = Linearizable(built.ops, &budget, &longest);
    if (answer == Answer::kYes) continue;
    report.linearizable = false;
    report.key = key;
    if (answer == Answer::kUnknown) {
      // A later key may still show a violation, but this one stays undecided: say so.
      report.verdict = Verdict::kUnknown;
      report.unknown_reason = budget.reason;
      return report;
    }
    report.verdict = Verdict::kNotLinearizable;
    report.longest_partial = longest;
    const std::set<size_t> placed(longest.begin(), longest.end());
    for (const Operation& op : built.ops) {
      if (!op.info && !op.crash && !placed.contains(op.call)) report.unplaced.push_back(op.call);
    }
    std::sort(report.unplaced.begin(), report.unplaced.end());
    report.minimal_positions = Minimize(history, events);
    for (size_t position : report.minimal_positions) report.minimal.push_back(history[position]);
    return report;
  }
  return report;
}

}  // namespace shardstore::checker
