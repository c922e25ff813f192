// Linearizability-check time on long histories: a simulated register (or key-value store) with
// several clients whose operations overlap, 10,000 operations by default, every history
// linearizable by construction (each operation takes effect at a point inside its interval), so
// the checker must find an order; and one with a single stale read injected, which it must
// refuse. Times are for CheckLinearizability alone (the history is built first).
//
//   linearizability_check [--operations N] [--clients C] [--keys K] [--seed S]
#include <fmt/core.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "bench_util.h"
#include "shardstore/checker/linearizability.h"
#include "shardstore/random.h"

namespace shardstore::bench {
namespace {

using checker::EventType;
using checker::OpFunction;

// Each client has at most one operation open; at every tick one client either invokes an
// operation or completes its open one, and an open operation takes effect at a random tick
// before it completes.
checker::History Simulate(uint64_t operations, uint32_t clients, uint32_t keys, uint64_t seed) {
  Random random(seed);
  checker::History history;
  std::vector<std::string> state(keys);  // "" : no value
  struct Open {
    bool active = false, applied = false;
    checker::Event invoke;
  };
  std::vector<Open> open(clients);
  uint64_t invoked = 0, next_value = 1;
  auto apply = [&](Open& o) {
    std::string& v = state[std::stoul(o.invoke.key)];
    switch (o.invoke.f) {
      case OpFunction::kRead:
        o.invoke.value = v.empty() ? checker::Value() : checker::Value(v);
        break;
      case OpFunction::kWrite:
        v = *o.invoke.value;
        break;
      case OpFunction::kExists:
        o.invoke.value = v.empty() ? "false" : "true";
        break;
      case OpFunction::kCas:
        break;
    }
    o.applied = true;
  };
  while (invoked < operations ||
         std::any_of(open.begin(), open.end(), [](const Open& o) { return o.active; })) {
    Open& o = open[random.Next() % clients];
    const uint32_t process = static_cast<uint32_t>(&o - open.data());
    if (!o.active) {
      if (invoked == operations) continue;
      ++invoked;
      o = Open{true, false, {}};
      o.invoke.process = process;
      o.invoke.key = std::to_string(random.Next() % keys);
      const bool write = random.Next() % 2 == 0;
      o.invoke.f = write ? OpFunction::kWrite : OpFunction::kRead;
      if (write) o.invoke.value = std::to_string(next_value++);
      history.push_back(o.invoke);
      if (!write) history.back().value.reset();
      continue;
    }
    if (!o.applied) {
      apply(o);
      if (random.Next() % 2 == 0) continue;  // completes later
    }
    checker::Event done = o.invoke;
    done.type = EventType::kOk;
    history.push_back(done);
    o.active = false;
  }
  return history;
}

// The pending-heavy worst case: `pending` writes of distinct values invoked and never completed,
// then one client reading every one of them in turn, and the first again (impossible: each
// pending write takes effect at most once).
checker::History PendingWritesAndAnImpossibleRead(uint32_t pending) {
  checker::History history;
  auto event = [&](uint32_t process, EventType type, OpFunction f, checker::Value value) {
    checker::Event e;
    e.process = process;
    e.type = type;
    e.f = f;
    e.key = "k";
    e.value = std::move(value);
    history.push_back(std::move(e));
  };
  for (uint32_t p = 1; p <= pending; ++p) {
    event(p, EventType::kInvoke, OpFunction::kWrite, std::to_string(p));
  }
  for (uint32_t p = 1; p <= pending + 1; ++p) {
    event(0, EventType::kInvoke, OpFunction::kRead, checker::Value());
    event(0, EventType::kOk, OpFunction::kRead, std::to_string(p <= pending ? p : 1));
  }
  return history;
}

// The two histories that used to run for minutes or run out of memory, each within a budget.
void WorstCases(uint64_t seed) {
  checker::LinearizabilityOptions budget;
  budget.seconds_max = 60;
  budget.cache_entries_max = 20'000'000;
  {
    const checker::History history = PendingWritesAndAnImpossibleRead(22);
    const Clock::time_point start = Clock::now();
    const checker::LinearizabilityReport report =
        checker::CheckLinearizability(history, checker::LinearizabilityModel::kKv, budget);
    fmt::print(
        "22 pending writes and an impossible read: {} in {:.3f} s ({} states)\n",
        report.verdict == checker::Verdict::kNotLinearizable ? "not linearizable" : "WRONG VERDICT",
        Seconds(start), report.states);
  }
  {
    const checker::History history = Simulate(100'000, 8, 1, seed);
    const Clock::time_point start = Clock::now();
    const checker::LinearizabilityReport report =
        checker::CheckLinearizability(history, checker::LinearizabilityModel::kRegister, budget);
    fmt::print("100000 operations, 8 clients, one register: {} in {:.3f} s ({} states)\n",
               report.verdict == checker::Verdict::kLinearizable ? "linearizable"
               : report.verdict == checker::Verdict::kUnknown ? "unknown: " + report.unknown_reason
                                                              : "WRONG VERDICT",
               Seconds(start), report.states);
  }
}

int Main(int argc, char** argv) {
  uint64_t operations = 10'000, clients = 5, keys = 1, seed = 1;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    uint64_t* target = nullptr;
    if (!std::strcmp(argv[i], "--operations")) target = &operations;
    if (!std::strcmp(argv[i], "--clients")) target = &clients;
    if (!std::strcmp(argv[i], "--keys")) target = &keys;
    if (!std::strcmp(argv[i], "--seed")) target = &seed;
    if (!target || !has_value) {
      fmt::print(stderr, "usage: {} [--operations N] [--clients C] [--keys K] [--seed S]\n",
                 argv[0]);
      return 2;
    }
    *target = ParseNumber(argv[0], argv[i], argv[i + 1]);
    ++i;
  }
  for (uint32_t key_count : {static_cast<uint32_t>(keys), 16u}) {
    checker::History history =
        Simulate(operations, static_cast<uint32_t>(clients), key_count, seed);
    Clock::time_point start = Clock::now();
    const checker::LinearizabilityReport clean =
        checker::CheckLinearizability(history, checker::LinearizabilityModel::kKv);
    const double clean_seconds = Seconds(start);
    if (!clean.linearizable) Die(argv[0], "a linearizable history was refused");
    // A stale read: the last read that saw a value now claims the key had none.
    for (size_t i = history.size(); i-- > 0;) {
      if (history[i].type == EventType::kOk && history[i].f == OpFunction::kRead &&
          history[i].value) {
        history[i].value.reset();
        break;
      }
    }
    start = Clock::now();
    const checker::LinearizabilityReport stale =
        checker::CheckLinearizability(history, checker::LinearizabilityModel::kKv);
    const double stale_seconds = Seconds(start);
    if (stale.linearizable) Die(argv[0], "a stale read was not caught");
    fmt::print(
        "{} operations, {} clients, {} key(s): linearizable in {:.3f} s ({} states); "
        "with one stale read refused in {:.3f} s (minimal sub-history: {} events)\n",
        clean.operations, clients, key_count, clean_seconds, clean.states, stale_seconds,
        stale.minimal.size());
  }
  WorstCases(seed);
  return 0;
}

}  // namespace
}  // namespace shardstore::bench

int main(int argc, char** argv) { return shardstore::bench::Main(argc, argv); }
