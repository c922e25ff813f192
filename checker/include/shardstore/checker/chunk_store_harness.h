// ChunkStoreHarness: the chunk store against ChunkStoreModel.
//
// The store picks locators; the harness records each one in the model as the store returns
// it. Read(#n) reads the n-th locator ever returned (reset or not): the store must return
// exactly the chunk last appended there, or fail if its extent was reset since. Reset(#n)
// resets the n-th extent holding chunks. Reboot flushes and reopens.
//
// Checked after every step: appends never overlap a chunk still there; a write pointer moves
// back only when its extent is reset. After a clean Reboot every append's and reset's
// Dependency is persistent (forward progress), and in Finish() every chunk the model holds
// reads back from the disk.
//
// Crashes. An append writes a chunk at its locator in the model, a reset writes absence at every
// locator of its extent, and each write's Dependency is reported to the model as it settles.
// After a power cut (DirtyReboot) the chunk store must open, and each locator must read back one
// of the values a crash may leave (the newest persistent one or a later one): a chunk appended
// there, or an error (Corruption) where absence is allowed. So a chunk whose append was
// acknowledged persistent survives, and a chunk reset durably never resurfaces. With crash
// exploration on, every disk flush is also a crash point (CrashExplorer).
//
// Corrupt(#n, bit) flips a bit of a chunk on the disk. From then on reading it must fail with
// Corruption or return exactly the chunk (a copy cached before the flip): never other bytes. A
// read that no cached copy may serve — after DropCache or a reopen and before any read of the
// chunk, or ReadUncached — must fail with Corruption when the chunk was durable when flipped.
// DropCache forgets the read cache, then reads every chunk held.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "chunkstore/chunk_store.h"
#include "shardstore/checker/harness.h"
#include "shardstore/limits.h"
#include "shardstore/models/chunk_store_model.h"
#include "shardstore/sim/mem_disk.h"

namespace shardstore::checker {

class ChunkStoreHarness final : public Harness {
 public:
  static constexpr DiskGeometry kGeometry{10, 16 * kPageBytes};
  static constexpr uint32_t kKeyCount = 4;

  explicit ChunkStoreHarness(std::optional<CrashExploration> explore = std::nullopt);
  ~ChunkStoreHarness() override;

  const CrashExplorer* crash_explorer() const override { return explorer_ ? &*explorer_ : nullptr; }
  const MemDisk* mem_disk() const override { return &disk_; }

 protected:
  std::optional<std::string> Step(const Op& op) override;
  std::optional<std::string> FinishChecks() override;

 private:
  std::optional<std::string> RunOp(const Op& op);
  std::optional<std::string> Open();
  std::optional<std::string> CheckRead(const Locator& at, bool uncached);
  // Checks what a chunk store recovered after a power cut holds at every locator; with
  // `adopt`, the model becomes that.
  std::optional<std::string> CheckRecovered(ChunkStore* store, bool adopt);
  std::optional<std::string> RecoverFromPowerCut();
  // Reports settled Dependencies to the model; failures too when `failures`.
  void SettleWrites(bool failures);
  // Locators whose newest write is a chunk, in order.
  std::vector<Locator> Held() const;

  MemDisk disk_;
  std::unique_ptr<ChunkStore> store_;
  models::ChunkStoreModel model_;
  std::vector<Locator> appended_;  // every locator ever returned, reset or not
  std::set<Locator> damaged_;      // chunks a bit was flipped in (until their extent is reset)
  // Of those, the ones whose flipped bit is surely on the medium: the chunk was durable when
  // it was flipped (a chunk still queued would be written whole over the flip); the bits
  // flipped, since flipping one twice mends it.
  std::map<Locator, std::set<uint32_t>> damaged_on_medium_;
  // Locators no cached copy can serve: none was read since the cache was dropped or the store
  // opened. A read of a chunk damaged on the medium must then fail with Corruption.
  std::set<Locator> cold_;
  std::vector<uint32_t> write_pointers_;
  struct Tracked {
    uint64_t id;
    Dependency dependency;
  };
  std::vector<Tracked> unsettled_;
  std::optional<CrashExplorer> explorer_;
};

}  // namespace shardstore::checker
