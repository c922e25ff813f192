#include "shardstore/checker/crash_concurrency.h"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "chunkstore/chunk_store.h"
#include "shardstore/checker/failure.h"
#include "shardstore/checker/harness.h"
#include "shardstore/checker/history.h"
#include "shardstore/checker/linearizability.h"
#include "shardstore/checker/op.h"
#include "shardstore/random.h"
#include "shardstore/store.h"
#include "shardstore/sync.h"

namespace shardstore::checker {
namespace {

constexpr std::array kWorkloads = {JointWorkload::kClients, JointWorkload::kReclaimCompact,
                                   JointWorkload::kChunkWriters};
constexpr std::array<std::string_view, 3> kWorkloadNames = {"clients", "reclaim-compact",
                                                            "chunk-writers"};

constexpr DiskGeometry kGeometry{10, 16 * kPageBytes};
constexpr uint32_t kKeys = 3;
// Around page and chunk boundaries (store chunks carry 8 KiB here): 9000 takes two chunks.
constexpr uint32_t kSizes[] = {0, 1, 4000, 4097, 9000};
constexpr uint32_t kLanes = 3;
constexpr uint32_t kLaneAppendsMax = 8;
constexpr uint32_t kChunkPayloadBytes = 100;  // a frame of one page

// Process ids: threads use their index; the others their own ranges.
constexpr uint32_t kSetupProcess = 90;
constexpr uint32_t kAfterProcessBase = 20;
constexpr uint32_t kRecoveryProcessBase = 200;
constexpr uint32_t kFinalProcessBase = 400;
constexpr uint32_t kRebootProcessBase = 600;
constexpr uint32_t kListProcessBase = 100;  // + 16 × client + key, as store_concurrency does
// A reset writes absence at every locator of its extent, each by a process of its own:
// + 1000 × the resetting thread's process + the locator's index.
constexpr uint32_t kResetProcessBase = 1'000'000;

[[noreturn]] void Fail(const std::string& what) { throw std::runtime_error(what); }

bool IsStoreWorkload(JointWorkload workload) { return workload != JointWorkload::kChunkWriters; }

// ---- Programs ----

JointStep StoreStep(Random& random, std::initializer_list<char> actions) {
  const uint64_t r = random.Next();
  JointStep step{*(actions.begin() + r % actions.size()), static_cast<uint32_t>((r >> 8) % kKeys),
                 kSizes[(r >> 16) % std::size(kSizes)]};
  // Only puts take a size; only puts, gets and deletes a key.
  if (step.action != 'P' && step.action != 'W') step.b = 0;
  if (std::string_view("PWGD").find(step.action) == std::string_view::npos) step.a = 0;
  return step;
}

JointScript StoreScript(Random& random, size_t steps, std::initializer_list<char> actions) {
  JointScript script;
  for (size_t i = 0; i < steps; ++i) script.push_back(StoreStep(random, actions));
  return script;
}

// Every key put with a two-chunk value and flushed into the runs; one overwritten.
JointScript Populated(Random& random) {
  JointScript setup;
  for (uint32_t key = 0; key < kKeys; ++key) setup.push_back({'P', key, 9000});
  setup.push_back({'F'});
  setup.push_back({'P', static_cast<uint32_t>(random.Next() % kKeys), 9000});
  setup.push_back({'F'});
  return setup;
}

// A writer of one lane: appends (waiting or not), rewinds its extent, reads.
JointScript LaneScript(Random& random, uint32_t lane, size_t steps) {
  JointScript script;
  for (size_t i = 0; i < steps; ++i) {
    const uint64_t r = random.Next();
    const uint32_t count = 1 + static_cast<uint32_t>((r >> 8) % 2);
    switch (r % 5) {
      case 0:
      case 1:
        script.push_back({'A', lane, count});
        break;
      case 2:
        script.push_back({'V', lane, count});
        break;
      case 3:
        script.push_back({'X', lane, 0});
        break;
      default:
        script.push_back({'Q', static_cast<uint32_t>((r >> 16) % 16), 0});
        break;
    }
  }
  return script;
}

JointScript FlusherScript(Random& random, size_t steps) {
  JointScript script;
  for (size_t i = 0; i < steps; ++i) {
    const uint64_t r = random.Next();
    script.push_back(r % 3 == 0 ? JointStep{'Q', static_cast<uint32_t>((r >> 8) % 16), 0}
                                : JointStep{'F', 0, 0});
  }
  return script;
}

// ---- Tokens ----

void AppendStep(std::string* text, const JointStep& step) {
  *text += step.action;
  if (step.a != 0 || step.b != 0) *text += std::to_string(step.a);
  if (step.b != 0) *text += "," + std::to_string(step.b);
}

std::string EncodeScript(const JointScript& script) {
  std::string text;
  for (size_t i = 0; i < script.size(); ++i) {
    if (i > 0) text += '.';
    AppendStep(&text, script[i]);
  }
  return text;
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (;;) {
    const size_t at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

bool ParseNumber(std::string_view* text, uint32_t* value) {
  auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), *value);
  if (error != std::errc()) return false;
  text->remove_prefix(static_cast<size_t>(end - text->data()));
  return true;
}

// Which letters a workload's steps take, and the bounds of their numbers.
std::optional<std::string> StepError(JointWorkload workload, const JointStep& step) {
  const std::string letter(1, step.action);
  if (IsStoreWorkload(workload)) {
    if (std::string_view("PWGDLFCR").find(step.action) == std::string_view::npos) {
      return "'" + letter + "' is no store step (P W G D L F C R)";
    }
    if (step.a >= kKeys) return "key " + std::to_string(step.a) + " is past the key pool";
    if (step.b > kValueBytesMax) return "a value of " + std::to_string(step.b) + " bytes";
    return std::nullopt;
  }
  if (std::string_view("AVQXF").find(step.action) == std::string_view::npos) {
    return "'" + letter + "' is no chunk step (A V Q X F)";
  }
  if ((step.action == 'A' || step.action == 'V' || step.action == 'X') && step.a >= kLanes) {
    return "lane " + std::to_string(step.a) + " (there are " + std::to_string(kLanes) + ")";
  }
  if ((step.action == 'A' || step.action == 'V') && (step.b == 0 || step.b > kLaneAppendsMax)) {
    return "append " + std::to_string(step.b) + " chunks (1 to " + std::to_string(kLaneAppendsMax) +
           ")";
  }
  return std::nullopt;
}

StatusOr<JointScript> ParseScript(JointWorkload workload, std::string_view text) {
  JointScript script;
  if (text.empty()) return script;
  for (std::string_view part : Split(text, '.')) {
    if (part.empty()) return Status::InvalidArgument("an empty step");
    JointStep step{part[0]};
    part.remove_prefix(1);
    if (!part.empty() && !ParseNumber(&part, &step.a)) {
      return Status::InvalidArgument("a step's first number");
    }
    if (!part.empty()) {
      if (part[0] != ',') return Status::InvalidArgument("expected ',' in a step");
      part.remove_prefix(1);
      if (!ParseNumber(&part, &step.b) || !part.empty()) {
        return Status::InvalidArgument("a step's second number");
      }
    }
    if (auto error = StepError(workload, step)) {
      return Status::InvalidArgument("step \"" + std::string(text) + "\": " + *error);
    }
    script.push_back(step);
  }
  return script;
}

// ---- The power cut ----

// While it lives, no sync operation on this OS thread is a scheduling point: the scheduler's
// hooks are set aside, so the primitives are plain std ones. Only for code that blocks on
// nothing another fiber holds (atomic loads, and MemDisk, whose lock no fiber keeps across a
// scheduling point).
class NoSchedulingPoints {
 public:
  NoSchedulingPoints() : hooks_(sync::InstalledHooks()) { sync::InstallHooks(nullptr); }
  ~NoSchedulingPoints() { sync::InstallHooks(hooks_); }
  NoSchedulingPoints(const NoSchedulingPoints&) = delete;
  NoSchedulingPoints& operator=(const NoSchedulingPoints&) = delete;

 private:
  sync::Hooks* const hooks_;
};

MemDisk::CrashPlan DrawPlan(uint64_t seed, uint32_t pending) {
  Random random(seed);
  const uint32_t pages = std::min<uint32_t>(pending, 64);
  const uint64_t all = pages == 64 ? ~uint64_t{0} : (uint64_t{1} << pages) - 1;
  switch (random.Next() % 8) {
    case 0:
      return {0, 0, 0};  // every pending page lost
    case 1:
      return {all, 0, 0};  // every one kept
    default:
      break;
  }
  MemDisk::CrashPlan plan{random.Next() & all, 0, 0};
  if (pages > 0 && random.Next() % 2 == 0) {
    plan.torn_page = 1 + static_cast<uint32_t>(random.Next() % pages);
    plan.torn_sectors = static_cast<uint8_t>(1 + random.Next() % (MemDisk::kPageWhole - 1));
  }
  return plan;
}

// The history of one run, and what the power cut must preserve.
class Recording {
 public:
  static constexpr size_t kNotRecorded = SIZE_MAX;

  bool cut() const { return cut_; }
  const History& history() const { return recorder_.history(); }

  size_t Invoke(uint32_t process, OpFunction f, std::string key, Value value = std::nullopt) {
    if (cut_) return kNotRecorded;
    ++ops_begun_;
    return recorder_.Invoke(process, f, std::move(key), std::move(value));
  }
  // The key of an operation invoked before it was known (after the cut too: the invocation
  // was before it).
  void SetKey(size_t id, std::string key) {
    if (id != kNotRecorded) recorder_.SetKey(id, std::move(key));
  }
  // Nothing after the cut: an operation open then stays open.
  void Complete(size_t id, EventType outcome, Value value = std::nullopt) {
    if (cut_ || id == kNotRecorded) return;
    recorder_.Complete(id, outcome, std::move(value));
  }
  // An acknowledged write and its Dependency, asked at the cut whether it is persistent.
  void Track(size_t id, const Dependency& dependency) {
    if (cut_ || id == kNotRecorded) return;
    tracked_.push_back({id, dependency});
  }
  // The client was told the write is persistent (its Wait returned OK).
  void Reported(size_t id) {
    if (cut_ || id == kNotRecorded) return;
    recorder_.MarkPersistent(id);
  }
  // Flush's contract: every write acknowledged before the call is persistent once it returns.
  // `acknowledged` is Acknowledged() when the Flush was called.
  size_t Acknowledged() const { return tracked_.size(); }
  void Flushed(size_t acknowledged) {
    if (cut_) return;
    for (size_t i = 0; i < acknowledged; ++i) recorder_.MarkPersistent(tracked_[i].id);
  }
  // The power cut, in one step: what is persistent now, the disk as it is now. Returns the copy.
  std::unique_ptr<MemDisk> Cut(const MemDisk& disk) {
    SS_ASSERT(!cut_);
    const NoSchedulingPoints atomically;
    for (const Tracked& t : tracked_) {
      if (t.dependency.IsPersistent()) recorder_.MarkPersistent(t.id);
    }
    tracked_.clear();
    std::unique_ptr<MemDisk> copy = disk.Snapshot();
    recorder_.Crash();
    cut_ = true;
    return copy;
  }
  uint32_t ops_begun() const { return ops_begun_; }
  // Every thread of the first phase has ended: what happens now (recovery, and the clients of
  // the second phase) is recorded again.
  void PowerRestored() {
    SS_ASSERT(cut_);
    cut_ = false;
  }

 private:
  struct Tracked {
    size_t id;
    Dependency dependency;
  };
  HistoryRecorder recorder_;
  std::vector<Tracked> tracked_;
  bool cut_ = false;
  uint32_t ops_begun_ = 0;
};

// ---- The components ----

// One component under test, as the run drives it.
class System {
 public:
  explicit System(Recording* recording) : recording_(recording) {}
  virtual ~System() = default;
  // Opens (recovers) on `disk`; `format` a blank one.
  virtual Status Open(MemDisk* disk, bool format) = 0;
  // Drops the component without a shutdown, as the power cut did.
  virtual void Close() = 0;
  virtual void Execute(uint32_t process, const JointStep& step) = 0;
  // Reads every key (or locator), each by a process of its own from `process_base`.
  virtual void ReadEverything(uint32_t process_base) = 0;
  virtual Status Verify() = 0;
  virtual Status Shutdown() = 0;
  // A fresh life after recovery: what the last one knew about its own extents is stale.
  virtual void Recovered() {}

 protected:
  Recording& recording() { return *recording_; }

 private:
  Recording* const recording_;
};

class StoreSystem final : public System {
 public:
  using System::System;

  Status Open(MemDisk* disk, bool format) override {
    StoreOptions options;
    options.disk = disk;
    options.format_if_blank = format;
    options.chunk_payload_bytes_max = 8 * 1024;
    options.memtable_entries_max = 2;  // Puts and Deletes flush the index (without the lock)
    options.level0_runs_max = 2;
    options.read_cache_bytes = 64 * 1024;
    options.read_buffer_bytes = 24 * 1024;
    options.reclaim_free_extents_min = 6;
    StatusOr<std::unique_ptr<Store>> opened = Store::Open(options);
    if (!opened.ok()) return opened.status();
    store_ = std::move(opened).value();
    return Status::Ok();
  }
  void Close() override { store_.reset(); }
  Status Verify() override { return store_->Verify(); }
  Status Shutdown() override { return store_->Shutdown(); }

  void ReadEverything(uint32_t process_base) override {
    for (uint32_t k = 0; k < kKeys; ++k) Execute(process_base + k, {'G', k});
    Execute(process_base + kKeys, {'L'});
  }

  void Execute(uint32_t process, const JointStep& step) override {
    const std::string key = KeyName(step.a);
    switch (step.action) {
      case 'P':
      case 'W':
        return Put(process, key, step.b, step.action == 'W');
      case 'D': {
        const size_t id = recording().Invoke(process, OpFunction::kWrite, key);
        const StatusOr<Dependency> deleted = store_->Delete(key);
        if (!deleted.ok()) Fail("Delete: " + deleted.status().ToString());
        recording().Complete(id, EventType::kOk);
        recording().Track(id, *deleted);
        return;
      }
      case 'G': {
        const size_t id = recording().Invoke(process, OpFunction::kRead, key);
        const StatusOr<Bytes> got = store_->Get(key);
        if (!got.ok() && !got.status().IsNotFound()) {
          Fail("Get(" + key + "): " + got.status().ToString());
        }
        Value seen;
        if (got.ok()) {
          auto it = written_.find(*got);
          seen = it == written_.end() ? "bytes never written" : it->second;
        }
        recording().Complete(id, EventType::kOk, seen);
        return;
      }
      case 'L':
        return List(process);
      case 'F': {
        const size_t acknowledged = recording().Acknowledged();
        if (Status s = store_->Flush(); !s.ok()) Fail("Flush: " + s.ToString());
        recording().Flushed(acknowledged);
        return;
      }
      case 'C':
        if (Status s = store_->Compact(); !s.ok() && !s.IsNoSpace()) {
          Fail("Compact: " + s.ToString());
        }
        return;
      case 'R':
        return Reclaim();
    }
    Fail(std::string("no store step '") + step.action + "'");
  }

 private:
  void Put(uint32_t process, const std::string& key, uint32_t size, bool wait) {
    const uint32_t fill = next_fill_++;
    const Bytes value = ValueBytes(size, static_cast<uint8_t>(fill));
    // Equal bytes (every empty value) are one value: the first name given them.
    const std::string name =
        written_.emplace(value, std::to_string(size) + "/" + std::to_string(fill)).first->second;
    const size_t id = recording().Invoke(process, OpFunction::kWrite, key, name);
    const StatusOr<Dependency> put = store_->Put(key, value);
    if (!put.ok() && !put.status().IsNoSpace()) Fail("Put: " + put.status().ToString());
    recording().Complete(id, put.ok() ? EventType::kOk : EventType::kFail);
    if (!put.ok()) return;
    recording().Track(id, *put);
    if (!wait) return;
    if (Status s = put->Wait(); !s.ok()) Fail("waiting for Put(" + key + "): " + s.ToString());
    recording().Reported(id);
  }

  void List(uint32_t process) {
    std::array<size_t, kKeys> ids;
    for (uint32_t k = 0; k < kKeys; ++k) {
      ids[k] =
          recording().Invoke(kListProcessBase + 16 * process + k, OpFunction::kExists, KeyName(k));
    }
    const StatusOr<std::vector<std::string>> listed = store_->List();
    if (!listed.ok()) Fail("List: " + listed.status().ToString());
    for (uint32_t k = 0; k < kKeys; ++k) {
      const bool present = std::find(listed->begin(), listed->end(), KeyName(k)) != listed->end();
      recording().Complete(ids[k], EventType::kOk, present ? "true" : "false");
    }
  }

  void Reclaim() {
    std::vector<uint32_t> used;
    for (const ExtentStat& e : store_->Stat().extents) {
      if (e.extent != 0 && e.write_pointer > 0) used.push_back(e.extent);
    }
    if (used.empty()) return;
    const Status s = store_->Reclaim(used[reclaim_turn_++ % used.size()]);
    // Another thread's Put may have reclaimed it meanwhile (InvalidArgument: it is free), or
    // its live chunks find no room elsewhere.
    if (!s.ok() && !s.IsNoSpace() && !s.IsInvalidArgument()) Fail("Reclaim: " + s.ToString());
  }

  std::unique_ptr<Store> store_;
  // Every value written, so a read's bytes name the write they came from.
  std::map<Bytes, std::string> written_;
  uint32_t next_fill_ = 0;
  uint32_t reclaim_turn_ = 0;
};

class ChunkSystem final : public System {
 public:
  using System::System;

  Status Open(MemDisk* disk, bool format) override {
    ChunkStoreOptions options;
    options.disk = disk;
    options.format_if_blank = format;
    options.read_cache_bytes = 64 * 1024;
    StatusOr<std::unique_ptr<ChunkStore>> opened = ChunkStore::Open(options);
    if (!opened.ok()) return opened.status();
    store_ = std::move(opened).value();
    return Status::Ok();
  }
  void Close() override { store_.reset(); }
  Status Verify() override { return Status::Ok(); }  // ReadEverything reads every chunk
  Status Shutdown() override { return store_->Flush(); }
  void Recovered() override { lanes_ = {}; }

  void ReadEverything(uint32_t process_base) override {
    for (uint32_t i = 0; i < appended_.size(); ++i) Read(process_base + i, i);
  }

  void Execute(uint32_t process, const JointStep& step) override {
    switch (step.action) {
      case 'A':
      case 'V':
        return Append(process, step.a, step.b, step.action == 'V');
      case 'Q':
        if (!appended_.empty()) Read(process, step.a % appended_.size());
        return;
      case 'X':
        return Reset(process, step.a);
      case 'F': {
        const size_t acknowledged = recording().Acknowledged();
        if (Status s = store_->Flush(); !s.ok()) Fail("Flush: " + s.ToString());
        recording().Flushed(acknowledged);
        return;
      }
    }
    Fail(std::string("no chunk step '") + step.action + "'");
  }

 private:
  struct Appended {
    Locator locator;
    std::string identity;
  };
  struct Lane {
    std::optional<uint32_t> extent;  // of its last append, until reset
  };

  static std::string KeyOf(const Locator& l) { return l.ToString(); }

  // An append's locator is known only when it returns; the chunk is there (readable at a
  // locator an earlier life of the extent used) from inside the call. So it is invoked on a key
  // named when it returns.
  void Append(uint32_t process, uint32_t lane, uint32_t count, bool wait) {
    constexpr std::array kOwners = {ExtentOwner::kData, ExtentOwner::kIndex,
                                    ExtentOwner::kMetadata};
    Dependency all;
    std::vector<size_t> ids;
    for (uint32_t i = 0; i < count && !recording().cut(); ++i) {
      const std::string identity = "c" + std::to_string(next_chunk_++);
      identities_.insert(identity);
      ChunkHeader header;
      header.kind = ChunkKind::kData;
      header.sequence = next_chunk_;
      const Bytes payload = ValueBytes(kChunkPayloadBytes, static_cast<uint8_t>(next_chunk_));
      const size_t id = recording().Invoke(process, OpFunction::kWrite, "?", identity);
      StatusOr<ChunkStore::Appended> appended =
          store_->Append(kOwners[lane], header, identity, payload, Dependency());
      if (!appended.ok()) {
        if (!appended.status().IsNoSpace()) Fail("Append: " + appended.status().ToString());
        recording().Complete(id, EventType::kFail);  // the disk is full: nothing appended
        return;
      }
      appended_.push_back({appended->locator, identity});
      lanes_[lane].extent = appended->locator.extent;
      recording().SetKey(id, KeyOf(appended->locator));
      recording().Complete(id, EventType::kOk);
      recording().Track(id, appended->dependency);
      ids.push_back(id);
      all = all.And(appended->dependency);
    }
    if (!wait || recording().cut()) return;
    if (Status s = all.Wait(); !s.ok()) Fail("waiting for appends: " + s.ToString());
    for (size_t id : ids) recording().Reported(id);
  }

  void Read(uint32_t process, uint32_t index) {
    const Appended at = appended_[index];  // a copy: other threads append meanwhile
    const size_t id = recording().Invoke(process, OpFunction::kRead, KeyOf(at.locator));
    StatusOr<ChunkStore::Chunk> chunk = store_->Read(at.locator);
    Value seen;
    if (chunk.ok()) {
      seen = identities_.contains(chunk->key) ? chunk->key : "bytes never written";
    } else if (!chunk.status().IsCorruption()) {
      Fail("Read(" + at.locator.ToString() + "): " + chunk.status().ToString());
    }
    recording().Complete(id, EventType::kOk, seen);
  }

  // Rewinds the extent of the lane's last append: absence at every locator ever appended there.
  void Reset(uint32_t process, uint32_t lane) {
    if (!lanes_[lane].extent) return;
    const uint32_t extent = *lanes_[lane].extent;
    lanes_[lane].extent.reset();
    std::vector<size_t> ids;
    for (uint32_t i = 0; i < appended_.size(); ++i) {
      if (appended_[i].locator.extent != extent) continue;
      ids.push_back(recording().Invoke(kResetProcessBase + 1000 * process + i, OpFunction::kWrite,
                                       KeyOf(appended_[i].locator)));
    }
    StatusOr<Dependency> reset = store_->Reset(extent);
    if (!reset.ok()) Fail("Reset(" + std::to_string(extent) + "): " + reset.status().ToString());
    for (size_t id : ids) {
      recording().Complete(id, EventType::kOk);
      recording().Track(id, *reset);
    }
  }

  std::unique_ptr<ChunkStore> store_;
  std::vector<Appended> appended_;
  std::set<std::string> identities_;
  std::array<Lane, kLanes> lanes_{};
  uint32_t next_chunk_ = 0;
};

// ---- One run ----

class JointRun {
 public:
  JointRun(const JointCase& c, CrashControl* control) : case_(c), control_(control) {
    if (IsStoreWorkload(c.workload)) {
      system_ = std::make_unique<StoreSystem>(&recording_);
    } else {
      system_ = std::make_unique<ChunkSystem>(&recording_);
    }
  }

  void Main() {
    if (Status s = system_->Open(&disk_, /*format=*/true); !s.ok()) Fail("open: " + s.ToString());
    for (const JointStep& step : case_.program.setup) system_->Execute(kSetupProcess, step);
    RunThreads(case_.program.threads, 0, /*with_crasher=*/true);
    SS_ASSERT(recording_.cut());
    system_->Close();  // the old store and disk are nobody's any more
    recording_.PowerRestored();
    Recover();
    RunThreads(case_.program.after, kAfterProcessBase, /*with_crasher=*/false);
    system_->ReadEverything(kFinalProcessBase);
    if (Status s = system_->Shutdown(); !s.ok()) Fail("Shutdown: " + s.ToString());
    // A clean shutdown loses nothing: reopened, everything reads back as it was.
    system_->Close();
    if (Status s = system_->Open(crashed_.get(), false); !s.ok()) {
      Fail("reopening after a clean shutdown: " + s.ToString());
    }
    system_->ReadEverything(kRebootProcessBase);
    CheckHistory();
    system_->Close();
  }

 private:
  void RunThreads(const std::vector<JointScript>& scripts, uint32_t process_base,
                  bool with_crasher) {
    std::vector<std::unique_ptr<sync::Thread>> threads;
    for (uint32_t t = 0; t < scripts.size(); ++t) {
      threads.push_back(std::make_unique<sync::Thread>([this, &scripts, t, process_base] {
        for (const JointStep& step : scripts[t]) {
          if (recording_.cut()) return;  // the power is out: no new operation
          system_->Execute(process_base + t, step);
        }
      }));
    }
    // Fibers are numbered as they start: fiber 0 is this body, the threads 1 to n.
    std::unique_ptr<sync::Thread> crasher;
    if (with_crasher) {
      control_->crasher = static_cast<FiberId>(scripts.size()) + 1;
      crasher = std::make_unique<sync::Thread>([this] { Cut(); });
    }
    for (auto& thread : threads) thread->Join();
    if (crasher) crasher->Join();
  }

  void Cut() {
    snapshot_ = recording_.Cut(disk_);
    control_->cut = true;
    control_->pending = snapshot_->PendingPages();
    control_->pending_pages = static_cast<uint32_t>(control_->pending.size());
    control_->ops_before_cut = recording_.ops_begun();
  }

  void Recover() {
    const uint32_t pending = control_->pending_pages;
    const MemDisk::CrashPlan plan =
        case_.plan ? *case_.plan : DrawPlan(control_->plan_seed, pending);
    control_->plan = plan;
    crashed_ = std::move(snapshot_);
    crashed_->Crash(MemDisk::SectorsFor(plan, pending));
    const std::string where = "after a power cut " + DescribePlan(plan, pending);
    if (Status s = system_->Open(crashed_.get(), /*format=*/false); !s.ok()) {
      throw Violation(FailureKind::kCrashConsistency, where + ", recovery failed: " + s.ToString());
    }
    system_->Recovered();
    system_->ReadEverything(kRecoveryProcessBase);
    if (Status s = system_->Verify(); !s.ok()) {
      throw Violation(FailureKind::kCrashConsistency,
                      where + ", the recovered store does not verify: " + s.ToString());
    }
  }

  void CheckHistory() {
    LinearizabilityOptions options;
    options.states_max = 20'000'000;
    const LinearizabilityReport report =
        CheckLinearizability(recording_.history(), LinearizabilityModel::kKv, options);
    if (report.verdict == Verdict::kUnknown) {
      Fail("the history is too hard to check: " + report.unknown_reason);
    }
    if (report.linearizable) return;
    // The crash matters when what came before it is linearizable on its own.
    const History& history = recording_.history();
    const auto cut = std::find_if(history.begin(), history.end(),
                                  [](const Event& e) { return e.type == EventType::kCrash; });
    const bool crash =
        CheckLinearizability(History(history.begin(), cut), LinearizabilityModel::kKv, options)
            .linearizable;
    const std::string text = FormatHistory(report.minimal);
    throw Violation(
        crash ? FailureKind::kCrashConsistency : FailureKind::kLinearizability,
        std::string(crash ? "what survived the power cut is not what the history "
                            "allows (plan: " +
                                DescribePlan(control_->plan, control_->pending_pages) + ")"
                          : "the history is not linearizable") +
            "; key " + report.key + ", minimal sub-history:\n" + text);
  }

  const JointCase& case_;
  CrashControl* const control_;

 public:
  // Also when the run fails (the body throws) or is torn down.
  ~JointRun() {
    if (control_->keep_history) control_->history = recording_.history();
  }

 private:
  MemDisk disk_{kGeometry};
  Recording recording_;
  std::unique_ptr<System> system_;
  std::unique_ptr<MemDisk> snapshot_;  // the disk at the cut
  std::unique_ptr<MemDisk> crashed_;   // the same with the crash plan applied: the live disk after
};

}  // namespace

std::span<const JointWorkload> AllJointWorkloads() { return kWorkloads; }

std::string_view JointWorkloadName(JointWorkload workload) {
  return kWorkloadNames[static_cast<size_t>(workload)];
}

std::optional<JointWorkload> FindJointWorkload(std::string_view name) {
  for (JointWorkload workload : kWorkloads) {
    if (JointWorkloadName(workload) == name) return workload;
  }
  return std::nullopt;
}

size_t JointProgram::steps() const {
  size_t count = setup.size();
  for (const auto* scripts : {&threads, &after}) {
    for (const JointScript& script : *scripts) count += script.size();
  }
  return count;
}

JointProgram MakeJointProgram(JointWorkload workload, uint64_t seed) {
  Random random(seed);
  JointProgram program;
  switch (workload) {
    case JointWorkload::kClients:
      for (int c = 0; c < 3; ++c) {
        program.threads.push_back(StoreScript(random, 4, {'P', 'P', 'W', 'G', 'G', 'D', 'L'}));
      }
      program.threads.push_back(StoreScript(random, 3, {'F', 'C', 'R'}));
      break;
    case JointWorkload::kReclaimCompact: {
      program.setup = Populated(random);
      program.threads.push_back({{'R'}, {'R'}});
      program.threads.push_back({{'C'}, {'C'}});
      JointScript put_then_get;
      for (int i = 0; i < 2; ++i) {
        const JointStep put = StoreStep(random, {'W'});
        put_then_get.push_back(put);
        put_then_get.push_back({'G', put.a});
      }
      program.threads.push_back(put_then_get);
      program.threads.push_back(StoreScript(random, 2, {'G'}));
      program.threads.push_back(StoreScript(random, 2, {'G'}));
      break;
    }
    case JointWorkload::kChunkWriters:
      for (uint32_t lane = 0; lane < kLanes; ++lane) {
        program.threads.push_back(LaneScript(random, lane, 4));
      }
      program.threads.push_back(FlusherScript(random, 3));
      program.after.push_back(LaneScript(random, 0, 3));
      program.after.push_back(FlusherScript(random, 2));
      return program;
  }
  for (int c = 0; c < 2; ++c) {
    program.after.push_back(StoreScript(random, 3, {'P', 'W', 'G', 'D', 'G'}));
  }
  return program;
}

std::string EncodeJointToken(const JointCase& c) {
  SS_ASSERT(c.plan.has_value());
  std::string program = EncodeScript(c.program.setup);
  for (const JointScript& script : c.program.threads) program += ";" + EncodeScript(script);
  program += "|";
  for (size_t i = 0; i < c.program.after.size(); ++i) {
    program += (i > 0 ? ";" : "") + EncodeScript(c.program.after[i]);
  }
  char mask[17];
  std::snprintf(mask, sizeof mask, "%llx", static_cast<unsigned long long>(c.plan->keep_mask));
  const std::optional<seeded::BugInfo> bug = [&]() -> std::optional<seeded::BugInfo> {
    for (const seeded::BugInfo& info : seeded::AllBugs()) {
      if (info.bug == c.bug) return info;
    }
    return std::nullopt;
  }();
  return std::string(kJointTokenPrefix) + std::string(JointWorkloadName(c.workload)) + ":" +
         (bug ? std::string(bug->name) : "-") + ":" + program + ":" + mask + "." +
         std::to_string(c.plan->torn_page) + "." + std::to_string(c.plan->torn_sectors) + ":" +
         c.schedule;
}

StatusOr<JointCase> ParseJointToken(std::string_view token) {
  if (!token.starts_with(kJointTokenPrefix)) {
    return Status::InvalidArgument("a crash-concurrency token starts with \"" +
                                   std::string(kJointTokenPrefix) + "\"");
  }
  token.remove_prefix(kJointTokenPrefix.size());
  // The schedule comes last and has a ':' of its own.
  std::vector<std::string_view> parts;
  for (int i = 0; i < 4; ++i) {
    const size_t at = token.find(':');
    if (at == std::string_view::npos) {
      return Status::InvalidArgument("a token is sx1:<workload>:<bug>:<program>:<plan>:<schedule>");
    }
    parts.push_back(token.substr(0, at));
    token.remove_prefix(at + 1);
  }
  JointCase c;
  const std::optional<JointWorkload> workload = FindJointWorkload(parts[0]);
  if (!workload) return Status::InvalidArgument("unknown workload '" + std::string(parts[0]) + "'");
  c.workload = *workload;
  if (parts[1] != "-") {
    const std::optional<seeded::BugInfo> bug = seeded::FindBug(parts[1]);
    if (!bug) return Status::InvalidArgument("unknown seeded bug '" + std::string(parts[1]) + "'");
    c.bug = bug->bug;
  }
  const std::vector<std::string_view> phases = Split(parts[2], '|');
  if (phases.size() != 2) return Status::InvalidArgument("a program is <setup>;<threads>|<after>");
  const std::vector<std::string_view> before = Split(phases[0], ';');
  SS_ASSIGN_OR_RETURN(c.program.setup, ParseScript(c.workload, before[0]));
  for (size_t i = 1; i < before.size(); ++i) {
    SS_ASSIGN_OR_RETURN(JointScript script, ParseScript(c.workload, before[i]));
    c.program.threads.push_back(std::move(script));
  }
  if (!phases[1].empty()) {
    for (std::string_view text : Split(phases[1], ';')) {
      SS_ASSIGN_OR_RETURN(JointScript script, ParseScript(c.workload, text));
      c.program.after.push_back(std::move(script));
    }
  }
  const std::vector<std::string_view> plan = Split(parts[3], '.');
  MemDisk::CrashPlan p;
  uint32_t sectors = 0;
  std::string_view mask = plan[0], torn = plan.size() > 1 ? plan[1] : "",
                   kept = plan.size() > 2 ? plan[2] : "";
  auto [end, error] = std::from_chars(mask.data(), mask.data() + mask.size(), p.keep_mask, 16);
  if (plan.size() != 3 || error != std::errc() || end != mask.data() + mask.size() ||
      !ParseNumber(&torn, &p.torn_page) || !torn.empty() || !ParseNumber(&kept, &sectors) ||
      !kept.empty() || sectors > MemDisk::kPageWhole) {
    return Status::InvalidArgument("a crash plan is <keep mask hex>.<torn page>.<sectors 0-8>");
  }
  p.torn_sectors = static_cast<uint8_t>(sectors);
  c.plan = p;
  if (!token.empty()) {
    if (const std::optional<std::string> error = ScheduleError(token)) {
      return Status::InvalidArgument("the schedule: " + *error);
    }
  }
  c.schedule = std::string(token);
  return c;
}

uint32_t KeptPages(const MemDisk::CrashPlan& plan, uint32_t pending) {
  uint32_t kept = 0;
  const std::vector<MemDisk::SectorsKept> sectors = MemDisk::SectorsFor(plan, pending);
  for (MemDisk::SectorsKept s : sectors) kept += s > 0 ? 1 : 0;
  return kept;
}

std::string DescribePlan(const MemDisk::CrashPlan& plan, uint32_t pending) {
  const std::vector<MemDisk::SectorsKept> sectors = MemDisk::SectorsFor(plan, pending);
  std::string kept, torn;
  for (size_t i = 0; i < sectors.size(); ++i) {
    if (sectors[i] == MemDisk::kPageWhole) kept += (kept.empty() ? "" : ",") + std::to_string(i);
    if (sectors[i] > 0 && sectors[i] < MemDisk::kPageWhole) {
      torn =
          ", page " + std::to_string(i) + " torn after " + std::to_string(sectors[i]) + " sectors";
    }
  }
  return "keeping pending pages " + (kept.empty() ? std::string("none") : kept) + " of " +
         std::to_string(pending) + torn;
}

Body JointBody(const JointCase& c, CrashControl* control) {
  return [c, control] {
    const uint64_t plan_seed = control->plan_seed;
    const bool keep_history = control->keep_history;
    *control = CrashControl();
    control->plan_seed = plan_seed;
    control->keep_history = keep_history;
    JointRun run(c, control);
    run.Main();
  };
}

}  // namespace shardstore::checker
