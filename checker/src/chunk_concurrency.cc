#include "shardstore/checker/chunk_concurrency.h"

#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "chunkstore/chunk_store.h"
#include "shardstore/checker/harness.h"
#include "shardstore/limits.h"
#include "shardstore/random.h"
#include "shardstore/sim/mem_disk.h"
#include "shardstore/sync.h"

namespace shardstore::checker {
namespace {

constexpr DiskGeometry kGeometry{10, 16 * kPageBytes};
// Payloads whose frames take one page, a page and a byte's worth (two), and three pages.
constexpr uint32_t kPayloadBytes[] = {1, 4000, 4097, 9000};

[[noreturn]] void Fail(const std::string& what) { throw std::runtime_error(what); }

enum class Action : uint8_t { kAppend, kDurableAppend, kRead, kFlush };
struct Step {
  Action action;
  uint32_t size = 0;      // kAppend, kDurableAppend: payload bytes
  uint32_t selector = 0;  // kRead: which of the chunks appended so far (an appender: its own)
};
using Script = std::vector<Step>;

std::vector<Script> MakeProgram(uint64_t seed) {
  Random random(seed);
  auto size = [&] { return kPayloadBytes[random.Next() % std::size(kPayloadBytes)]; };
  std::vector<Script> threads;
  for (int appender = 0; appender < 2; ++appender) {
    Script script = {{Action::kAppend, size()}, {Action::kDurableAppend, size()}};
    // Its own first chunk read back, before or after the wait.
    script.insert(script.begin() + 1 + static_cast<ptrdiff_t>(random.Next() % 2),
                  Step{Action::kRead, 0, 0});
    threads.push_back(std::move(script));
  }
  for (int flusher = 0; flusher < 2; ++flusher) {
    threads.push_back({{Action::kFlush}, {Action::kFlush}});
  }
  threads.push_back({{Action::kRead, 0, static_cast<uint32_t>(random.Next() % 8)},
                     {Action::kRead, 0, static_cast<uint32_t>(random.Next() % 8)}});
  return threads;
}

class Run {
 public:
  Run() : disk_(kGeometry) {
    options_.disk = &disk_;
    options_.format_if_blank = true;
    options_.read_cache_bytes = 16 * 1024;
    Open();
  }

  void Execute(uint32_t thread, const Step& step) {
    switch (step.action) {
      case Action::kAppend:
      case Action::kDurableAppend: {
        const size_t index = Append(thread, step.size);
        if (step.action == Action::kAppend) return;
        const Dependency dependency = appended_[index].dependency;
        if (Status s = dependency.Wait(); !s.ok()) {
          Fail("waiting for chunk " + appended_[index].key + ": " + s.ToString());
        }
        if (!dependency.IsPersistent()) {
          Fail("chunk " + appended_[index].key + " is not persistent after Wait() returned OK");
        }
        return;
      }
      case Action::kRead: {
        // An appender reads its own first chunk; the reader one of those appended so far.
        std::vector<size_t> candidates;
        for (size_t i = 0; i < appended_.size(); ++i) {
          if (appended_[i].completed > 0 && (thread >= 2 || appended_[i].thread == thread)) {
            candidates.push_back(i);
          }
        }
        if (candidates.empty()) return;
        CheckRead(candidates[step.selector % candidates.size()], /*uncached=*/false, "");
        return;
      }
      case Action::kFlush: {
        const uint64_t invoked = ++clock_;
        if (Status s = store_->Flush(); !s.ok()) Fail("Flush: " + s.ToString());
        // By index: an append of another thread may grow the list at any scheduling point.
        for (size_t i = 0; i < appended_.size(); ++i) {
          const Appended& a = appended_[i];
          if (a.completed > 0 && a.completed < invoked && !a.dependency.IsPersistent()) {
            Fail("Flush returned OK, but chunk " + a.key + " at " + a.locator.ToString() +
                 ", appended before it began, is not persistent");
          }
        }
        return;
      }
    }
  }

  // The power goes out: what was persistent must read back from the disk.
  void Finish() {
    std::vector<size_t> persistent;
    for (size_t i = 0; i < appended_.size(); ++i) {
      if (appended_[i].dependency.IsPersistent()) persistent.push_back(i);
    }
    store_.reset();  // abandons what is not yet persistent
    disk_.CrashLosingAll();
    options_.format_if_blank = false;
    Open();
    for (size_t i : persistent) CheckRead(i, /*uncached=*/true, "after a power cut ");
    if (Status s = store_->Flush(); !s.ok()) Fail("Flush after a power cut: " + s.ToString());
  }

 private:
  struct Appended {
    uint32_t thread;
    std::string key;
    Bytes payload;
    Locator locator;
    Dependency dependency;
    uint64_t completed = 0;  // on the run's logical clock; 0 while the append is under way
  };

  void Open() {
    StatusOr<std::unique_ptr<ChunkStore>> opened = ChunkStore::Open(options_);
    if (!opened.ok()) Fail("open: " + opened.status().ToString());
    store_ = std::move(opened).value();
  }

  // Returns its index in appended_.
  size_t Append(uint32_t thread, uint32_t size) {
    const size_t index = appended_.size();
    const std::string key = "t" + std::to_string(thread) + "c" + std::to_string(index);
    appended_.push_back({thread, key, ValueBytes(size, static_cast<uint8_t>(index)), {}, {}});
    ChunkHeader header;
    header.sequence = store_->NextSequence();
    StatusOr<ChunkStore::Appended> result =
        store_->Append(ExtentOwner::kData, header, key, appended_[index].payload, Dependency());
    if (!result.ok()) Fail("Append of " + key + ": " + result.status().ToString());
    appended_[index].locator = result->locator;
    appended_[index].dependency = result->dependency;
    appended_[index].completed = ++clock_;
    return index;
  }

  void CheckRead(size_t index, bool uncached, const std::string& when) {
    const Appended& a = appended_[index];
    StatusOr<ChunkStore::Chunk> got =
        uncached ? store_->ReadUncached(a.locator) : store_->Read(a.locator);
    if (!got.ok()) Fail(when + "Read(" + a.locator.ToString() + "): " + got.status().ToString());
    if (got->key != a.key || got->payload != a.payload) {
      Fail(when + "Read(" + a.locator.ToString() + ") returned chunk " + got->key + " of " +
           std::to_string(got->payload.size()) + " bytes; chunk " + a.key + " of " +
           std::to_string(a.payload.size()) + " bytes was appended there");
    }
  }

  MemDisk disk_;
  ChunkStoreOptions options_;
  std::unique_ptr<ChunkStore> store_;
  std::deque<Appended> appended_;  // in the order the appends began; references stay valid
  uint64_t clock_ = 0;
};

}  // namespace

Body ChunkStoreConcurrencyBody(uint64_t seed) {
  return [threads = MakeProgram(seed)] {
    Run run;
    std::vector<std::unique_ptr<sync::Thread>> spawned;
    for (uint32_t t = 0; t < threads.size(); ++t) {
      spawned.push_back(std::make_unique<sync::Thread>([&run, &threads, t] {
        for (const Step& step : threads[t]) run.Execute(t, step);
      }));
    }
    for (auto& thread : spawned) thread->Join();
    run.Finish();
  };
}

}  // namespace shardstore::checker
