// StoreHarness: the whole Store against KvModel, on a small MemDisk so that background
// reclamation, index flushes, compaction and NoSpace all happen within a few dozen steps.
//
// After every step it checks, besides each operation's result:
//   - no extent holds more live bytes than it has written;
//   - a write pointer moves back only when its extent is reset;
//   - the live bytes of data extents are exactly the frames the model's values need;
//   - NoSpace only when the model's values fill more than half of the usable data space, and
//     only with free extents at the Put reserve;
//   - the free-extent reserve: data never holds more extents than kPutKeepFreeExtents leaves
//     (kEvacuationKeepFreeExtents once a fault or damage kept an extent reclamation copied);
//   - background reclamation resumes once bytes die: a Put, or a Delete of a key with a value,
//     that starts with free extents at or below reclaim_free_extents_min (and enough free for an
//     evacuation) while a sealed data extent that bytes died in since it was sealed would free a
//     worthwhile share (1/kReclaimFreedShareDivisor of it), resets some extent (the emptiest
//     candidate always can be reclaimed then). While the memtable holds entries, a chunk an
//     overwrite or delete replaced may still be live to reclamation (a crash would bring it
//     back): such chunks count as live here, from the step they were replaced until a step ends
//     with the memtable empty;
//   - reclamation pays for itself: over the sequence, the live bytes that reclamation the store
//     started by itself copied are at most (kReclaimFreedShareDivisor - 1) times the room it
//     freed (StoreStat::reclaim_copied_bytes / reclaim_freed_bytes), plus an allowance of one
//     extent, and two more per injected fault and one per flipped bit (a reclamation that fails
//     after copying frees nothing). A store that evacuates nearly full extents to win their slack
//     — data never wrong, the disk's bandwidth spent on copies — fails it and nothing else.
// DropCache drops the read cache and reads every key back from the medium; Fill puts fresh
// keys until NoSpace, then (even fill) deletes them and flushes at the reserve, or (odd fill)
// leaves the disk full, so later steps run at the reserve. Keys come from the pool
// (op.h), lengths up to kKeyBytesMax; a longer key must be refused with InvalidArgument.
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
// Corrupt(#n, bit) flips a bit on the medium: in a live data chunk, index run chunk, the index
// metadata chunk, or either superblock slot. While a flip is on the medium (its page unchanged)
// a Get may return Corruption but never other bytes, and reclamation, compaction and flushes
// may fail with Corruption; after DropCache a Get of a key whose live chunk is damaged must
// return Corruption; Verify must report damage in a live chunk; a reopen must come back with
// exactly what the model holds, or fail with Corruption — then the harness flips the bits back,
// as a restored sector would, and the reopen must succeed. Before a reopen with a slot damaged,
// read-only opens of the disk as it is and of the disk with that slot erased must agree
// (superblock sequence, extent table, every key's value): damage is never trusted.
//
// FailDiskOnce(read|write) arms a transient IO error on one extent. The step in which it fires
// may fail with IOError (never any other error, never wrong bytes); a reboot retries the open. A
// write whose Dependency failed is wholly present or wholly absent, and the store keeps serving.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <vector>

#include "shardstore/checker/harness.h"
#include "shardstore/limits.h"
#include "shardstore/models/kv_model.h"
#include "shardstore/sim/mem_disk.h"
#include "shardstore/store.h"
#include "store/store_impl.h"

namespace shardstore::checker {

class StoreHarness final : public Harness {
 public:
  static constexpr DiskGeometry kGeometry{10, 16 * kPageBytes};
  static constexpr uint32_t kChunkPayloadBytes = 8 * 1024;
  static constexpr uint32_t kKeyCount = 6;

  // With `explore`, every disk flush is also explored as a crash point. Without
  // `check_reclamation_cost` the reclamation-cost invariant is not checked (tests show what
  // finds a bug only it can see).
  explicit StoreHarness(std::optional<CrashExploration> explore = std::nullopt,
                        bool check_reclamation_cost = true);
  ~StoreHarness() override;

  const CrashExplorer* crash_explorer() const override { return explorer_ ? &*explorer_ : nullptr; }
  const MemDisk* mem_disk() const override { return &disk_; }

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
  // Adds what the store's own reclamation copied and freed since last seen to the sequence's
  // totals; then the bound (see "reclamation pays for itself" above).
  void AccountReclamation(const StoreStat& stat);
  std::optional<std::string> CheckReclamationCost() const;
  // Corrupt(#n, bit): flushes (so the target is on the medium), then flips one bit of the n-th
  // of the live chunks (data, index runs, metadata) and the two superblock slots.
  std::optional<std::string> Corrupt(const Op& op);
  // Damage still on the medium (its page unchanged since the flip), and whether any of it lies
  // in a chunk the store still needs.
  bool Damaged() const;
  struct Damage;
  bool PagePresent(const Damage& d) const;
  Bytes PageAt(uint32_t extent, uint32_t offset) const;
  bool LiveChunkDamaged();
  // Flips back every flip still on the medium: what an operator restoring the sector does.
  void RepairDamage();
  // Fill(size, fill): Puts until NoSpace, then deletes them and flushes (even fill) or keeps
  // them (odd fill).
  std::optional<std::string> Fill(const Op& op, uint64_t faults_before);
  // After a successful Put or Delete: see "background reclamation" above. `extents_` and
  // `died_sealed_` are still as the step found them.
  std::optional<std::string> CheckBackgroundReclaim(std::string_view what);
  // Get, Put or Delete of a key longer than kKeyBytesMax: InvalidArgument, and nothing written.
  std::optional<std::string> CheckRefusesKey(const Op& op, const std::string& key);
  // The live bytes the model's values take: their frames, as the store counts them.
  uint64_t ModelFootprintBytes() const;
  // The room they may take at most: a value's frames start a page of their own when the write
  // before them was issued already, so each value counts in whole pages.
  uint64_t ModelSpaceBytes() const;
  // A flipped bit still on the medium keeps room reclamation could not free: NoSpace then is
  // not held against the store. Write faults get no allowance.
  bool SpaceKeptByDamage() const;
  uint64_t FootprintBytes(const std::string& key, uint64_t value_bytes) const;
  uint64_t SpaceBytes(const std::string& key, uint64_t value_bytes) const;
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
  // By extent: bytes died in it while it was sealed, since its last reset in this store's life.
  std::vector<bool> died_sealed_;
  // Data chunks the index's newest entries named at the end of the last step, by key; and the
  // bytes of chunks they named before that were replaced since the memtable was last empty, by
  // (extent, offset).
  std::map<std::string, std::vector<Locator>> newest_chunks_;
  std::map<std::pair<uint32_t, uint32_t>, uint32_t> replaced_chunks_;
  // Updates both from the store's live chunks after a step (`stat` as it ended).
  void TrackReplacedChunks(const StoreStat& stat, const std::vector<ExtentStat>& now);
  // Reclamation the store started by itself, over the sequence (every store opened in it), and
  // what the current store had reported when last seen.
  const bool check_reclamation_cost_;
  uint64_t reclaim_copied_bytes_ = 0;
  uint64_t reclaim_freed_bytes_ = 0;
  uint64_t seen_copied_bytes_ = 0;
  uint64_t seen_freed_bytes_ = 0;
  uint64_t flips_ = 0;  // Corrupt ops that flipped a bit

  struct Damage {
    uint32_t extent;
    uint32_t offset;  // the byte flipped
    uint8_t mask;
    Bytes page;  // the page holding it, as it was after the flip
    bool slot;   // a superblock slot, else a live chunk at `chunk`
    LiveChunk chunk;
    models::KvModel::Value value;  // a data chunk's: the value it is part of
    uint64_t resets;               // its extent's reset count when flipped
  };
  std::vector<Damage> damage_;
  bool SlotDamaged() const;
  // A flip still on the medium in a chunk `store` needs for `key`, or null.
  const Damage* DamagedLiveChunk(Store* store, const std::string& key);
  // Before a reopen with a superblock slot damaged: the disk as it is and the disk with that
  // slot erased must open (read-only) to the same store. A flipped bit invalidates a slot.
  std::optional<std::string> CheckSlotDamageIgnored();
  bool slot_damaged_at_open_ = false;  // the last open (or explored recovery) saw one
  bool in_barrier_ = false;  // the crash explorer is checking a state (the disk is locked)
  // Every value each key ever held (hashed; absence too): a store that opened from the older
  // superblock slot, the newer one damaged, may hold any of them.
  std::map<std::string, std::set<size_t>> history_;
  void Remember(const std::string& key, const models::KvModel::Value& value);
  bool HeldBefore(const std::string& key, const models::KvModel::Value& value) const;

  std::optional<CrashExplorer> explorer_;
};

}  // namespace shardstore::checker
