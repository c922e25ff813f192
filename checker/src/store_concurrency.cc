#include "shardstore/checker/store_concurrency.h"

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "shardstore/checker/chunk_concurrency.h"
#include "shardstore/checker/failure.h"
#include "shardstore/checker/harness.h"
#include "shardstore/checker/history.h"
#include "shardstore/checker/linearizability.h"
#include "shardstore/random.h"
#include "shardstore/sim/mem_disk.h"
#include "shardstore/store.h"
#include "shardstore/sync.h"

namespace shardstore::checker {
namespace {

constexpr DiskGeometry kGeometry{10, 16 * kPageBytes};
constexpr uint32_t kKeys = 3;
// Around page and chunk boundaries (chunks carry 8 KiB here): 9000 takes two chunks.
constexpr uint32_t kSizes[] = {0, 1, 4000, 4097, 9000};
// Around the read budget (two frames of a full chunk, 24 KiB): one full chunk, two (the whole
// budget), four (past it: a Get takes all of it).
constexpr uint32_t kLargeSizes[] = {8 * 1024, 16 * 1024, 3 * 8 * 1024 + 7};
constexpr uint32_t kListProcessBase = 100;
constexpr uint32_t kFinalProcess = 99;

enum class Action : uint8_t {
  kPut,
  kDurablePut,  // then waits for the Put's Dependency
  kGet,
  kDelete,
  kList,
  kFlush,
  kCompact,
  kReclaim,
};
struct Step {
  Action action;
  uint32_t key = 0;
  uint32_t size = 0;
};
using Script = std::vector<Step>;
struct Program {
  Script setup;  // run alone, before the threads start
  std::vector<Script> threads;
};

constexpr std::array kWorkloads = {StoreWorkload::kClients,      StoreWorkload::kReclaimCompact,
                                   StoreWorkload::kListDelete,   StoreWorkload::kReadersReset,
                                   StoreWorkload::kDurableFlush, StoreWorkload::kChunkFlush};
constexpr std::array<std::string_view, 6> kWorkloadNames = {
    "clients", "reclaim-compact", "list-delete", "readers-reset", "durable-flush", "chunk-flush"};

[[noreturn]] void Fail(const std::string& what) { throw std::runtime_error(what); }

Step Draw(Random& random, std::initializer_list<Action> actions) {
  const uint64_t r = random.Next();
  return Step{*(actions.begin() + r % actions.size()), static_cast<uint32_t>((r >> 8) % kKeys),
              kSizes[(r >> 16) % std::size(kSizes)]};
}

// Every key put with a two-chunk value (in the index runs, after a flush); one overwritten, so
// an extent holds dead bytes for reclamation to skip.
Script Populated(Random& random) {
  constexpr uint32_t kTwoChunks = kSizes[std::size(kSizes) - 1];
  Script setup;
  for (uint32_t key = 0; key < kKeys; ++key) setup.push_back({Action::kPut, key, kTwoChunks});
  setup.push_back({Action::kFlush});
  setup.push_back({Action::kPut, static_cast<uint32_t>(random.Next() % kKeys), kTwoChunks});
  setup.push_back({Action::kFlush});
  return setup;
}

Program MakeProgram(StoreWorkload workload, uint64_t seed) {
  Random random(seed);
  Program program;
  auto script = [&](size_t steps, std::initializer_list<Action> actions) {
    Script s;
    for (size_t i = 0; i < steps; ++i) s.push_back(Draw(random, actions));
    return s;
  };
  using A = Action;
  switch (workload) {
    case StoreWorkload::kClients:
      for (int c = 0; c < 3; ++c) {
        program.threads.push_back(
            script(4, {A::kPut, A::kPut, A::kDurablePut, A::kGet, A::kGet, A::kDelete, A::kList}));
      }
      program.threads.push_back(script(3, {A::kFlush, A::kCompact, A::kReclaim}));
      break;
    case StoreWorkload::kReclaimCompact: {
      program.setup = Populated(random);
      program.threads.push_back({{A::kReclaim}, {A::kReclaim}});
      program.threads.push_back({{A::kCompact}, {A::kCompact}});
      Script put_then_get;
      for (int i = 0; i < 2; ++i) {
        Step put = Draw(random, {A::kDurablePut});
        put_then_get.push_back(put);
        put_then_get.push_back({A::kGet, put.key});
      }
      program.threads.push_back(put_then_get);
      program.threads.push_back(script(2, {A::kGet}));
      program.threads.push_back(script(2, {A::kGet}));
      break;
    }
    case StoreWorkload::kReadersReset:
      // Readers of every key race the reclamations that move their chunks and reset the
      // extents they lay in, while a Put adds dead bytes to reclaim.
      program.setup = Populated(random);
      program.threads.push_back({{A::kReclaim}, {A::kReclaim}, {A::kReclaim}});
      program.threads.push_back({{A::kGet, 0}, {A::kGet, 1}, {A::kGet, 2}});
      program.threads.push_back({{A::kGet, 2}, {A::kGet, 1}, {A::kGet, 0}});
      program.threads.push_back({Draw(random, {A::kPut}), {A::kGet, 0}});
      break;
    case StoreWorkload::kListDelete:
      program.setup = Populated(random);
      program.threads.push_back(script(4, {A::kDelete, A::kDelete, A::kPut}));
      program.threads.push_back({{A::kList}, {A::kList}, {A::kList}});
      program.threads.push_back({{A::kFlush}, Draw(random, {A::kPut}), {A::kFlush}});
      break;
    case StoreWorkload::kDurableFlush: {
      // Clients that wait for durability drive the IO scheduler themselves, without the store
      // lock, while a flusher drives it under the lock: two drivers, one disk flush in flight.
      // Values reach and pass the read budget, so a reader needs all of it.
      auto large = [&](Action action, uint32_t key) {
        return Step{action, key, kLargeSizes[random.Next() % std::size(kLargeSizes)]};
      };
      program.setup = {large(A::kPut, 0), large(A::kPut, 1), {A::kFlush}};
      program.threads.push_back({large(A::kDurablePut, 0), {A::kGet, 1}});
      program.threads.push_back({large(A::kDurablePut, 1), {A::kGet, 0}});
      program.threads.push_back({{A::kFlush}, {A::kFlush}});
      program.threads.push_back({{A::kGet, 0}, {A::kList}, {A::kGet, 1}});
      break;
    }
    case StoreWorkload::kChunkFlush:
      break;  // not a Store program: ChunkStoreConcurrencyBody
  }
  return program;
}

// One run of a program against a fresh store.
class Run {
 public:
  Run() {
    options_.disk = &disk_;
    options_.format_if_blank = true;
    options_.chunk_payload_bytes_max = 8 * 1024;
    options_.memtable_entries_max = 2;  // Puts and Deletes flush the index (without the lock)
    options_.level0_runs_max = 2;
    options_.read_cache_bytes = 64 * 1024;
    // Two frames of the largest kind (12 KiB each): two Gets of 9000 bytes contend for it.
    options_.read_buffer_bytes = 24 * 1024;
    // Puts reclaim in the background from the start: six of ten extents are free then.
    options_.reclaim_free_extents_min = 6;
    StatusOr<std::unique_ptr<Store>> opened = Store::Open(options_);
    if (!opened.ok()) Fail("open: " + opened.status().ToString());
    store_ = std::move(opened).value();
  }

  void Execute(uint32_t process, const Step& step) {
    const std::string key = KeyName(step.key);
    switch (step.action) {
      case Action::kPut:
      case Action::kDurablePut: {
        const uint32_t fill = next_fill_++;
        const Bytes value = ValueBytes(step.size, static_cast<uint8_t>(fill));
        // Equal bytes (every empty value) are one value: the first name given them.
        const std::string name =
            written_.emplace(value, std::to_string(step.size) + "/" + std::to_string(fill))
                .first->second;
        const size_t id = recorder_.Invoke(process, OpFunction::kWrite, key, name);
        const size_t write = StartWrite(key, name);
        const StatusOr<Dependency> put = store_->Put(key, value);
        if (!put.ok() && !put.status().IsNoSpace()) Fail("Put: " + put.status().ToString());
        recorder_.Complete(id, put.ok() ? EventType::kOk : EventType::kFail);
        writes_[key][write].completed = ++clock_;
        writes_[key][write].took_effect = put.ok();
        if (put.ok() && step.action == Action::kDurablePut) {
          if (Status s = put->Wait(); !s.ok())
            Fail("waiting for Put(" + key + "): " + s.ToString());
          if (!put->IsPersistent()) {
            Fail("Put(" + key + ")'s Dependency is not persistent after Wait() returned OK");
          }
          writes_[key][write].durable = true;
        }
        return;
      }
      case Action::kDelete: {
        const size_t id = recorder_.Invoke(process, OpFunction::kWrite, key);
        const size_t write = StartWrite(key, std::nullopt);
        const StatusOr<Dependency> deleted = store_->Delete(key);
        if (!deleted.ok()) Fail("Delete: " + deleted.status().ToString());
        recorder_.Complete(id, EventType::kOk);
        writes_[key][write].completed = ++clock_;
        writes_[key][write].took_effect = true;
        return;
      }
      case Action::kGet: {
        const size_t id = recorder_.Invoke(process, OpFunction::kRead, key);
        const StatusOr<Bytes> got = store_->Get(key);
        if (!got.ok() && !got.status().IsNotFound()) {
          Fail("Get(" + key + "): " + got.status().ToString());
        }
        Value seen;
        if (got.ok()) {
          auto it = written_.find(*got);
          seen = it == written_.end() ? "bytes never written" : it->second;
        }
        recorder_.Complete(id, EventType::kOk, seen);
        return;
      }
      case Action::kList: {
        std::array<size_t, kKeys> ids;
        for (uint32_t k = 0; k < kKeys; ++k) {
          ids[k] = recorder_.Invoke(kListProcessBase + 16 * process + k, OpFunction::kExists,
                                    KeyName(k));
        }
        const StatusOr<std::vector<std::string>> listed = store_->List();
        if (!listed.ok()) Fail("List: " + listed.status().ToString());
        for (uint32_t k = 0; k < kKeys; ++k) {
          const bool present =
              std::find(listed->begin(), listed->end(), KeyName(k)) != listed->end();
          recorder_.Complete(ids[k], EventType::kOk, present ? "true" : "false");
        }
        return;
      }
      case Action::kFlush: {
        const uint64_t invoked = ++clock_;
        if (Status s = store_->Flush(); !s.ok()) Fail("Flush: " + s.ToString());
        // Every change made before the Flush began is persistent now.
        for (auto& [k, writes] : writes_) {
          for (Write& w : writes) {
            if (w.took_effect && w.completed != 0 && w.completed < invoked) w.durable = true;
          }
        }
        return;
      }
      case Action::kCompact:
        if (Status s = store_->Compact(); !s.ok() && !s.IsNoSpace()) {
          Fail("Compact: " + s.ToString());
        }
        return;
      case Action::kReclaim: {
        std::vector<uint32_t> used;
        for (const ExtentStat& e : store_->Stat().extents) {
          if (e.extent != 0 && e.write_pointer > 0) used.push_back(e.extent);
        }
        if (used.empty()) return;
        const Status s = store_->Reclaim(used[reclaim_turn_++ % used.size()]);
        // Another thread's Put may have reclaimed it meanwhile (InvalidArgument: it is free), or
        // its live chunks find no room elsewhere.
        if (!s.ok() && !s.IsNoSpace() && !s.IsInvalidArgument()) Fail("Reclaim: " + s.ToString());
        return;
      }
    }
  }

  const History& history() const { return recorder_.history(); }

  // After every thread: each key read once more, then the history checked, the store verified
  // and shut down.
  void Finish() {
    for (uint32_t k = 0; k < kKeys; ++k) Execute(kFinalProcess, {Action::kGet, k});
    const LinearizabilityReport report =
        CheckLinearizability(recorder_.history(), LinearizabilityModel::kKv);
    if (!report.linearizable) {
      throw Violation(FailureKind::kLinearizability, "the history is not linearizable; key " +
                                                         report.key + ", minimal sub-history:\n" +
                                                         FormatHistory(report.minimal));
    }
    if (Status s = store_->Verify(); !s.ok()) Fail("Verify: " + s.ToString());
    CrashAndRecover();
    if (Status s = store_->Shutdown(); !s.ok()) Fail("Shutdown: " + s.ToString());
  }

 private:
  // One Put or Delete of a key, on a logical clock: its value (nullopt: a delete), when it was
  // invoked and completed, whether it took effect (a Put refused NoSpace did not), and whether
  // it is durable (its Dependency was waited for, or a Flush began after it completed).
  struct Write {
    Value value;
    uint64_t invoked = 0;
    uint64_t completed = 0;  // 0: not yet
    bool took_effect = false;
    bool durable = false;
  };

  // Its index in writes_[key] (other threads' writes may move it meanwhile).
  size_t StartWrite(const std::string& key, Value value) {
    std::vector<Write>& writes = writes_[key];
    if (writes.empty()) writes.push_back({std::nullopt, 0, 0, true, true});  // blank disk
    writes.push_back({std::move(value), ++clock_});
    return writes.size() - 1;
  }

  // Persistence: the power goes out (the store abandoned, every page not flushed lost) and the
  // store reopens. Each key must hold the value of a write that took effect and precedes no
  // durable write of the key in real time: a durable write, or one concurrent with or after it.
  void CrashAndRecover() {
    store_.reset();
    disk_.CrashLosingAll();
    StoreOptions options = options_;
    options.format_if_blank = false;
    StatusOr<std::unique_ptr<Store>> opened = Store::Open(options);
    if (!opened.ok()) Fail("reopen after a power cut: " + opened.status().ToString());
    store_ = std::move(opened).value();
    for (const auto& entry : writes_) {
      // Named, not a structured binding: clang before 16 cannot capture bindings in lambdas.
      const std::string& key = entry.first;
      const auto& writes = entry.second;
      const StatusOr<Bytes> got = store_->Get(key);
      if (!got.ok() && !got.status().IsNotFound()) {
        Fail("after a power cut Get(" + key + "): " + got.status().ToString());
      }
      Value seen;
      if (got.ok()) {
        auto it = written_.find(*got);
        seen = it == written_.end() ? "bytes never written" : it->second;
      }
      auto superseded = [&](const Write& w) {
        return std::any_of(writes.begin(), writes.end(), [&](const Write& d) {
          return d.durable && &d != &w && w.completed != 0 && w.completed < d.invoked;
        });
      };
      const bool allowed = std::any_of(writes.begin(), writes.end(), [&](const Write& w) {
        return w.took_effect && w.value == seen && !superseded(w);
      });
      if (!allowed) {
        std::string durable;
        for (const Write& w : writes) {
          if (w.durable) durable += " " + w.value.value_or("(deleted)");
        }
        Fail("after a power cut Get(" + key + ") returned " + seen.value_or("no value") +
             ": not a write that a durable one (" + durable + " ) leaves possible");
      }
    }
    if (Status s = store_->Verify(); !s.ok()) Fail("Verify after a power cut: " + s.ToString());
  }

  StoreOptions options_;
  MemDisk disk_{kGeometry};
  std::unique_ptr<Store> store_;
  HistoryRecorder recorder_;
  // Every value written, so a read's bytes name the write they came from.
  std::map<Bytes, std::string> written_;
  std::map<std::string, std::vector<Write>> writes_;  // by key
  uint64_t clock_ = 0;
  uint32_t next_fill_ = 0;
  uint32_t reclaim_turn_ = 0;
};

}  // namespace

std::span<const StoreWorkload> AllStoreWorkloads() { return kWorkloads; }

std::string_view StoreWorkloadName(StoreWorkload workload) {
  return kWorkloadNames[static_cast<size_t>(workload)];
}

std::optional<StoreWorkload> FindStoreWorkload(std::string_view name) {
  for (StoreWorkload workload : kWorkloads) {
    if (StoreWorkloadName(workload) == name) return workload;
  }
  return std::nullopt;
}

Body StoreConcurrencyBody(StoreWorkload workload, uint64_t seed,
                          std::shared_ptr<History> history_out) {
  if (workload == StoreWorkload::kChunkFlush) return ChunkStoreConcurrencyBody(seed);
  return [program = MakeProgram(workload, seed), history_out] {
    Run run;
    // Copied however the run ends: returned, thrown, or unwound after a deadlock.
    struct KeepHistory {
      const Run& run;
      History* out;
      ~KeepHistory() {
        if (out != nullptr) *out = run.history();
      }
    } keep{run, history_out.get()};
    // The setup is history too: the threads' operations follow it.
    for (const Step& step : program.setup) run.Execute(kFinalProcess, step);
    std::vector<std::unique_ptr<sync::Thread>> threads;
    for (uint32_t t = 0; t < program.threads.size(); ++t) {
      threads.push_back(std::make_unique<sync::Thread>([&run, &program, t] {
        for (const Step& step : program.threads[t]) run.Execute(t, step);
      }));
    }
    for (auto& thread : threads) thread->Join();
    run.Finish();
  };
}

}  // namespace shardstore::checker
