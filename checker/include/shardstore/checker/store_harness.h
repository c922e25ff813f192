// StoreHarness: the whole Store against KvModel, on a small MemDisk so that background
// reclamation, index flushes, compaction and NoSpace all happen within a few dozen steps.
//
// After every step it checks, besides each operation's result:
//   - no extent holds more live bytes than it has written;
//   - a write pointer moves back only when its extent is reset;
//   - the live bytes of data extents are exactly the frames the model's values need;
//   - NoSpace only when the model's values fill more than half of the usable data space.
// After a clean Reboot: every Dependency the store returned is persistent (forward progress),
// the extent table is what it was before the shutdown, and every key reads back. Finish()
// reads every live chunk and the whole index back from the disk (Store::Verify).
//
// Crashes. Each Put and Delete is a write in KvModel, and its Dependency is reported to the
// model as it settles. After a power cut (DirtyReboot) the store must open, and each key must
// read back one of the values the model says a crash may leave: the newest write whose
// Dependency was persistent, or a later one (persistence; never bytes not put for that key).
// With crash exploration on, every disk flush the engine issues is a crash point: the harness
// recovers copies of the disk from the states a power cut there could leave — every subset of
// the pending pages when few are pending, a sample otherwise, and torn pages — and checks each
// the same way, without disturbing the run.
//
// FailDiskOnce(read|write) arms a transient IO error on one extent. The step in which it fires
// may fail with IOError (never any other error, never wrong bytes); a reboot retries the open. A
// write whose Dependency failed is wholly present or wholly absent, and the store keeps serving.
#pragma once

#include <memory>
#include <set>
#include <vector>

#include "shardstore/checker/harness.h"
#include "shardstore/limits.h"
#include "shardstore/mem_disk.h"
#include "shardstore/models/kv_model.h"
#include "shardstore/store.h"

namespace shardstore::checker {

class StoreHarness final : public Harness {
 public:
  static constexpr DiskGeometry kGeometry{10, 16 * kPageBytes};
  static constexpr uint32_t kChunkPayloadBytes = 8 * 1024;
  static constexpr uint32_t kKeyCount = 6;

  // With `explore`, every disk flush is also explored as a crash point.
  explicit StoreHarness(std::optional<CrashExploration> explore = std::nullopt);
  ~StoreHarness() override;

  const CrashExplorer* crash_explorer() const override { return explorer_ ? &*explorer_ : nullptr; }

 protected:
  std::optional<std::string> Step(const Op& op) override;
  std::optional<std::string> FinishChecks() override;

 private:
  std::optional<std::string> RunOp(const Op& op, uint64_t faults_before);
  std::optional<std::string> Open(uint64_t faults_before);
  std::optional<std::string> Reboot(uint64_t faults_before);
  // After the power was cut: reopen, check every key against what a crash may leave, and make
  // the model what the store came back with.
  std::optional<std::string> RecoverFromPowerCut();
  // Checks a store that came back from a power cut (or a failed shutdown: `after` says which)
  // against what the model says it may hold; nullopt when allowed. With `adopt` the model
  // becomes what it holds.
  std::optional<std::string> CheckRecovered(Store* store, const MemDisk& disk, bool adopt,
                                            std::string_view after);
  // Reports Dependencies that became persistent to the model.
  void SettlePersistent();
  // Reports every settled Dependency to the model; a failed write's outcome is read back.
  std::optional<std::string> SettleWrites();
  std::optional<std::string> CheckGet(const std::string& key, uint64_t faults_before);
  std::optional<std::string> CheckEveryKey(uint64_t faults_before);
  std::optional<std::string> CheckInvariants();
  // Fill(size, fill): Puts until NoSpace, then deletes them and flushes.
  std::optional<std::string> Fill(const Op& op, uint64_t faults_before);
  // Get, Put or Delete of a key longer than kKeyBytesMax: InvalidArgument, and nothing written.
  std::optional<std::string> CheckRefusesKey(const Op& op, const std::string& key);
  uint64_t ModelFootprintBytes() const;
  // NoSpace is excused once a fault has fired since the store opened (a known engine bug).
  bool SpaceLostToFaults() const;
  uint64_t FootprintBytes(const std::string& key, uint64_t value_bytes) const;
  std::vector<uint32_t> ReclaimCandidates();
  std::vector<std::string> ModelKeys() const;

  MemDisk disk_;
  StoreOptions options_;
  std::unique_ptr<Store> store_;
  models::KvModel model_;
  struct Tracked {
    uint64_t id;
    std::string key;
    Dependency dependency;
  };
  std::vector<Tracked> unsettled_;
  std::set<uint64_t> failed_ids_;       // writes whose Dependency failed (ids are never reused)
  uint64_t faults_at_clean_flush_ = 0;  // faults fired when a flush last succeeded
  uint64_t faults_at_open_ = 0;         // faults fired when the store was last opened
  std::vector<ExtentStat> extents_;     // by extent, as last seen; owner "free" when free

  std::optional<CrashExplorer> explorer_;
};

}  // namespace shardstore::checker
