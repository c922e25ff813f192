// LsmIndex: shard key → IndexEntry (locators of the value's chunks, or a tombstone), kept as a
// memtable plus sorted runs, with the runs and the run list stored as chunks (WiscKey style:
// values stay outside the tree).
//
// Insert puts an entry in the memtable and returns the memtable's *promise*: a Dependency that
// becomes persistent once the memtable has been flushed durably. Flush waits for the data the
// entries point at, drops the entries whose data write failed (those Puts are then wholly
// absent), writes the rest as a run (kIndexRun chunks on index extents, after that data), then
// new metadata listing every live run (a kIndexMetadata chunk on a metadata extent, after the
// run), then makes it the superblock's index root (a commit, after the metadata), and waits for
// all of it. Flushes are transactions: if any write fails, the in-memory runs and root roll
// back to the durable ones and the memtable stays for a later attempt. So everything the
// in-memory runs list is durable whenever Flush, Compact or EvacuateIndexExtent returns.
// Compact merges every run into one at level 1, keeping the newest entry per key and dropping
// tombstones (nothing older remains below them).
//
// Runs are also held in memory, decoded, so Lookup never reads the disk; Recover loads them
// from the index root.
//
// Promises: Wait() on a promise calls the promise driver (the Store), which flushes the
// memtable holding it.
//
// A flush can also run in three steps, so that the Store's lock need not be held across its IO
// (BeginFlush, WriteFlush, FinishFlush): the memtable becomes the *flushing memtable*, which
// Lookup, List and ForEachLive still read, and a fresh memtable takes new entries meanwhile.
// While a flush is in flight nothing else may commit index metadata (Flush, Compact, the
// evacuations) or relocate chunks: its staged root lists the runs as they were.
//
// Thread-safety: not thread-safe; the Store serializes access.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chunkstore/chunk_store.h"
#include "index/index_entry.h"
#include "index/lsm_metadata.h"
#include "io/write_node.h"
#include "shardstore/dependency.h"

namespace shardstore {

struct LsmOptions {
  uint32_t chunk_payload_bytes_max = 0;  // REQUIRED: the size run chunks are split into
  uint32_t memtable_entries_max = 4096;  // a larger memtable is flushed by the Store
  uint32_t level0_runs_max = 6;          // more level-0 runs trigger a compaction
};

class LsmIndex {
 public:
  // REQUIRES: chunks and promise_link outlive the index.
  LsmIndex(ChunkStore* chunks, const LsmOptions& options,
           std::shared_ptr<internal::DriverLink> promise_link);
  // Fails every promise not yet settled.
  ~LsmIndex();

  // Loads the metadata at `root` and every run it lists. Corruption when they do not verify.
  Status Recover(const std::optional<Locator>& root);

  // The newest entry for `key` (possibly a tombstone) whose data write has not failed, or
  // nullopt.
  std::optional<IndexEntry> Lookup(std::string_view key) const;

  // True when the newest entry for `key` is in the memtable (not yet durable).
  bool InMemtable(std::string_view key) const { return NewestInMemtable(key) != nullptr; }

  // Records `entry` for `key`; `data` is the Dependency of what the entry points at. Returns the
  // promise of the memtable holding it. The memtable keeps, per key, every entry since the last
  // flush whose predecessors might still be needed: if the newest one's data write fails, the
  // flush falls back to the one before it, never past it to an older run entry.
  Dependency Insert(std::string key, IndexEntry entry, Dependency data);

  // ---- For reclamation ----
  // True when the chunk (key, sequence, part) at `locator` may still be needed: some entry for
  // `key` in the memtable or the flushing memtable names it, or the newest run entry does. For
  // a chunk no new entry can name (its extent sealed, none relocated there), once false it
  // stays false.
  bool IsLiveChunk(std::string_view key, uint64_t sequence, uint32_t part,
                   const Locator& locator) const;
  // The data of every memtable entry: once it has settled (durable or failed), IsLiveChunk no
  // longer counts a chunk that a settled entry replaced. Failures stay with their entries.
  Dependency MemtableData() const;
  // Records that the chunk at `from` has a copy at `to` (written with `data`): each entry that
  // names it gets a relocated twin just above it, so the twin is used once its copy is durable
  // and the original is fallen back to if the copy fails. Which entry is newest does not change.
  void Relocate(const std::string& key, uint64_t sequence, uint32_t part, const Locator& from,
                const Locator& to, Dependency data);

  bool ShouldFlush() const { return memtable_.size() >= options_.memtable_entries_max; }
  // True between BeginFlush and FinishFlush.
  bool flushing() const { return flushing_.has_value(); }
  bool ShouldCompact() const;

  // Writes the memtable as a run, then metadata and the index root, durably. No-op when empty.
  // REQUIRES: !flushing(). The three steps below, waiting in between.
  Status Flush();

  // ---- Flushing in three steps, so that the Store's lock is not held across the IO ----
  // The memtable becomes the flushing memtable; returns the Dependency of its entries' data, to
  // settle (durable or failed) before WriteFlush. REQUIRES: !flushing().
  Dependency BeginFlush();
  // Writes the flushing memtable's run and metadata and stages them as the index root; returns
  // what FinishFlush waits for. REQUIRES: flushing(), WriteFlush not yet called.
  StatusOr<Dependency> WriteFlush();
  // `waited`: WriteFlush's error, or what waiting for its Dependency returned. OK: the run is
  // adopted and the flushing memtable's promises are persistent. Otherwise the previous root is
  // named again and the entries and promises return to the memtable, under the newer ones.
  Status FinishFlush(Status waited);
  // Flushes, then merges every run into one level-1 run, durably.
  Status Compact();

  // ---- Compaction in three steps, so that the merge can run without the Store's lock ----
  struct Run {
    RunDescriptor descriptor;
    RunEntries entries;
  };
  struct CompactionPlan {
    std::vector<Run> inputs;  // every run when planned, newest first
    uint64_t run_id = 0;      // the merged run's: above the inputs', below any flushed later
  };
  // Flushes, then plans merging every run; nullopt when there is nothing to merge.
  StatusOr<std::optional<CompactionPlan>> PlanCompaction();
  // The plan's inputs merged: the newest entry per key, tombstones dropped (nothing older lies
  // below them). Pure: needs no lock.
  static RunEntries Merge(const CompactionPlan& plan);
  // Writes `merged` as a run and makes it replace the plan's inputs, below the runs flushed
  // since the plan. OK with nothing changed when the inputs are no longer the oldest runs as
  // planned (another compaction, or reclamation rewrote one).
  Status InstallCompaction(const CompactionPlan& plan, RunEntries merged);

  // ---- For salvage (store/salvage.cc) ----
  // Makes `entries` the whole index, durably: one level-0 run holding them (none when empty)
  // and new metadata listing only it, made the index root. Run ids start at `next_run_id` and
  // the metadata version goes above `metadata_version`, so that nothing written before shares
  // an id or a version with them. On failure the superblock keeps naming the previous root.
  // REQUIRES: nothing recovered or inserted (the previous index may not load); keys strictly
  // ascending.
  Status Rebuild(RunEntries entries, uint64_t next_run_id, uint64_t metadata_version);

  // ---- For List: per key, in key order, the newest version of one part of the index ----
  struct KeyVersion {
    uint64_t sequence = 0;
    bool tombstone = false;
  };
  using KeyVersions = std::vector<std::pair<std::string, KeyVersion>>;
  KeyVersions NewestInRunsByKey() const;
  // Newer than anything in the runs.
  KeyVersions NewestInMemtableByKey() const;

  // For the promise driver: flushes if `node` is the current memtable's promise.
  Status SettlePromise(const internal::WriteNode& node);

  // Calls fn for the newest entry of every key, tombstones excluded, in key order.
  void ForEachLive(const std::function<void(const std::string&, const IndexEntry&)>& fn) const;
  bool IsLiveRunChunk(const Locator& locator) const;
  bool IsRoot(const Locator& locator) const { return root_ && *root_ == locator; }
  // Moves every live run chunk and the metadata out of `extent` and writes new metadata.
  Status EvacuateIndexExtent(uint32_t extent);
  // Reads the root and every run it lists from the disk, bypassing the read cache, and checks
  // that they are exactly the runs held in memory. Corruption (or IOError) otherwise.
  Status VerifyStored();
  // Bytes of live run and metadata chunks per extent.
  std::map<uint32_t, uint64_t> IndexLiveBytes() const;
  // The sum of IndexLiveBytes(): what the index occupies on disk.
  uint64_t index_live_bytes() const;
  // Every chunk of every live run, newest run first, and the metadata chunk (the root).
  std::vector<Locator> LiveRunChunks() const;
  std::optional<Locator> root() const { return root_; }

  struct LevelStat {
    uint32_t level = 0;
    uint32_t runs = 0;
    uint64_t entries = 0;
  };
  std::vector<LevelStat> Levels() const;
  // Keys in the memtable and in the flushing memtable.
  size_t memtable_entries() const {
    return memtable_.size() + (flushing_ ? flushing_->memtable.size() : 0);
  }
  // About the bytes the memtables' runs will take (a key's first entry counted; overwrites
  // rarely change an entry's size).
  uint64_t memtable_run_bytes() const {
    return memtable_run_bytes_ + (flushing_ ? flushing_->run_bytes : 0);
  }

 private:
  struct MemEntry {
    IndexEntry entry;
    Dependency data;  // what the entry points at
  };

  // Appends `payload` as a run's chunks (kIndexRun, sequence = run id).
  StatusOr<std::vector<Locator>> WriteRunChunks(uint64_t run_id, ByteView payload,
                                                Dependency* written);
  // Makes `runs` the index: writes metadata listing them (at once, beside the writes of `after`,
  // the new runs' chunks), makes it the index root once both are durable, and waits. On failure
  // the index keeps its previous runs and root. `floors`: the replay floors that go with the
  // runs (floors_ when they hold nothing the previous runs did not). StageRuns, a wait, then
  // AdoptRuns.
  Status CommitRuns(std::vector<Run> runs, Dependency after, ReplayFloors floors);
  // A root written and requested, not yet adopted.
  struct StagedRoot {
    Locator root;
    ReplayFloors floors;
    Dependency durable;  // the runs' chunks, the metadata and the superblock naming it
  };
  StatusOr<StagedRoot> StageRuns(const std::vector<Run>& runs, Dependency after,
                                 ReplayFloors floors);
  // Adopts `runs` and the staged root when `waited` is OK; otherwise names the previous root
  // again and returns `waited`.
  Status AdoptRuns(std::vector<Run> runs, const StagedRoot& staged, Status waited);
  StatusOr<Bytes> ReadRunPayload(const RunDescriptor& run, bool use_cache = true);

  ChunkStore* const chunks_;
  const LsmOptions options_;
  const std::shared_ptr<internal::DriverLink> promise_link_;

  // Newest entry of `key` whose data has not failed in the memtable, else in the flushing
  // memtable, or null.
  const MemEntry* NewestInMemtable(std::string_view key) const;
  // Newest entry of `key` among the runs, or null.
  const IndexEntry* NewestInRuns(std::string_view key) const;

  // Per key, oldest first; the last is the newest.
  std::map<std::string, std::vector<MemEntry>, std::less<>> memtable_;
  uint64_t memtable_run_bytes_ = 0;
  std::shared_ptr<internal::WriteNode> memtable_promise_;
  // Promises of entries a failed flush returned to the memtable: settled with it.
  std::vector<std::shared_ptr<internal::WriteNode>> carried_promises_;
  uint64_t next_promise_id_ = 1;

  // Between BeginFlush and FinishFlush.
  struct Flushing {
    std::map<std::string, std::vector<MemEntry>, std::less<>> memtable;
    uint64_t run_bytes = 0;
    std::vector<std::shared_ptr<internal::WriteNode>> promises;
    ReplayFloors floors;               // as the memtable was taken
    std::vector<Run> runs;             // WriteFlush's: the new run above the runs then
    std::optional<StagedRoot> staged;  // WriteFlush's, when it wrote a run
  };
  std::optional<Flushing> flushing_;

  std::vector<Run> runs_;  // newest first; all durable between calls
  uint64_t metadata_version_ = 0;
  uint64_t next_run_id_ = 1;
  std::optional<Locator> root_;
  ReplayFloors floors_;  // of root_
};

}  // namespace shardstore
