// StoreImpl: the engine's Store (shardstore/store.h), with what tools, tests and checkers use
// to look at the medium beside the public API: the chunks the store still needs, and dropping
// the read cache. Internal to the engine: reach it with StoreInternals(store) on a Store that
// Store::Open returned.
//
// Thread-safety: as Store (thread-safe).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shardstore/store.h"
#include "shardstore/sync.h"

namespace shardstore {

class ChunkStore;
struct EvacuationRoom;
struct ExtentView;
class LsmIndex;
class ReadBudget;
namespace internal {
class DriverLink;
using WriteNode = Dependency::Node;
}  // namespace internal

// Where one chunk the store still needs lies: for tools and checkers that look at the medium.
struct LiveChunk {
  enum class Kind : uint8_t { kData, kIndexRun, kIndexMetadata };
  Kind kind = Kind::kData;
  Locator locator;
  std::string key;  // kData: the shard's key
};

class StoreImpl final : public Store {
 public:
  StoreImpl(const StoreOptions& options, std::unique_ptr<ChunkStore> chunks);
  ~StoreImpl() override;

  StatusOr<Dependency> Put(std::string_view key, ByteView value) override;
  StatusOr<Bytes> Get(std::string_view key) override;
  StatusOr<Dependency> Delete(std::string_view key) override;
  StatusOr<std::vector<std::string>> List() override;
  Status Flush() override;
  Status Compact() override;
  Status Reclaim(uint32_t extent) override;
  Status Verify() override;
  Status Shutdown() override;
  StoreStat Stat() override;

  // Forgets every chunk in the read cache, so the next Get of each goes to the disk: after a
  // suspected media error, or to measure cold reads. Never changes what a Get returns, unless
  // the medium no longer holds the cached bytes (then Get returns Corruption).
  void DropReadCache();
  // Every chunk the store needs: each part of each live value, in key order, then each chunk of
  // each live index run, then the index metadata chunk.
  std::vector<LiveChunk> LiveChunks();

 private:
  friend class Store;  // Open recovers the index
  class PromiseDriver;

  // Recovery after the index loads: puts each data extent's chunks past its replay floor (the
  // Puts and Deletes made durable after the last index flush) into the memtable, newest
  // sequence per key winning, a value only when all its parts are there. Corruption when a
  // chunk there is damaged: a Put acknowledged as durable would be lost.
  Status ReplayTails();
  Status CheckOpen() const;
  // CheckOpen, and InvalidArgument for a read-only store.
  Status CheckWritable() const;
  Status CheckKey(std::string_view key) const;
  // REQUIRES: `lock` holds mu_ exclusively; held again on return.
  Status FlushLocked(sync::WriterLock& lock);
  // Who asked for a reclamation: the caller (Reclaim) copies whatever is live; the store itself
  // (background, forced, dead extents) only where it frees a worthwhile share
  // (reclaim_policy.h), and counts what it copied and freed in Stat().
  enum class ReclaimBy : uint8_t { kCaller, kStore };
  // NoSpace, with nothing copied, when the live chunks do not fit elsewhere, or (kStore) when
  // resetting the extent would not free a worthwhile share of it. A data extent is scanned, and
  // the index flush that makes its copies durable runs, with mu_ released (ScanLiveChunks,
  // FlushIndexUnlocked). REQUIRES: `lock` holds mu_ exclusively, and neither an index flush nor
  // a reclamation is in flight; so on return.
  Status ReclaimLocked(sync::WriterLock& lock, uint32_t extent, ReclaimBy by);
  // Sets reclaim_in_flight_ (waking AwaitMaintenance when cleared). REQUIRES: mu_ held
  // exclusively.
  void SetReclaimInFlight(bool value);
  // ReclaimLocked's work on a sealed data extent, up to its reset: scans it, copies the chunks
  // still live, relocates them and flushes the index. Adds the bytes copied to *copied_bytes.
  // REQUIRES: as ReclaimLocked, with reclaim_in_flight_ set; so on return.
  Status EvacuateDataExtent(sync::WriterLock& lock, uint32_t extent, ReclaimBy by,
                            uint64_t* copied_bytes);
  // A chunk a reclamation copies (store.cc).
  struct LiveCopy;
  // Reads sealed data `extent` with mu_ released: Gets, Puts, Deletes and index flushes go on
  // meanwhile; another reclamation waits (AwaitMaintenance) or, in the background, skips. Keeps
  // the chunks live when read (asked under mu_ shared, each). Corruption when a damaged frame
  // may be live. REQUIRES: as EvacuateDataExtent; on return `lock` holds mu_ again (an index
  // flush may be in flight then).
  Status ScanLiveChunks(sync::WriterLock& lock, uint32_t extent, std::vector<LiveCopy>* live);
  // Where an evacuation may copy data chunks now.
  EvacuationRoom DataEvacuationRoom() const;
  // Reclaims the emptiest extents while free ones are low; `force` when a Put found no room.
  // The first reclamation failure, if any (each failed extent is skipped and the next tried).
  // Skipped while an index flush or a reclamation is in flight, unless forced: then it waits for
  // them (InvalidArgument if the store was shut down meanwhile). REQUIRES: `lock` holds mu_
  // exclusively; held again on return (forced: with neither in flight).
  Status ReclaimIfLow(sync::WriterLock& lock, bool force = false);
  // After an index flush, with few extents free: resets the extents nothing live is left in.
  // Skipped while an index flush or a reclamation is in flight. REQUIRES: as ReclaimIfLow.
  void ReclaimDeadExtents(sync::WriterLock& lock);
  // Flushes (FlushIndexUnlocked) and compacts the index when it has grown enough; neither while
  // an index flush is in flight. REQUIRES: `lock` holds mu_ exclusively; held again on return.
  void MaintainIndex(sync::WriterLock& lock);
  // Flushes the index with mu_ released across the IO (LsmIndex's three steps): Gets, Puts and
  // Deletes go on meanwhile; whatever would commit index metadata or move chunks waits for it
  // (AwaitIndexFlush) or, in the background, skips. REQUIRES: `lock` holds mu_ exclusively and
  // no index flush is in flight; held again on return.
  Status FlushIndexUnlocked(sync::WriterLock& lock);
  // Returns once no index flush is in flight, releasing `lock` while it waits. REQUIRES: `lock`
  // holds mu_ exclusively; held again on return (the store may have been shut down meanwhile).
  void AwaitIndexFlush(sync::WriterLock& lock);
  // As AwaitIndexFlush, for neither an index flush nor a reclamation's scan in flight.
  void AwaitMaintenance(sync::WriterLock& lock);
  // Appends a value's chunks. *persistent: the chunks and a superblock covering them;
  // *written: the chunks' bytes alone.
  StatusOr<std::vector<Locator>> AppendValue(std::string_view key, uint64_t sequence,
                                             ByteView value, uint32_t keep_free_extents,
                                             Dependency* persistent, Dependency* written);
  // The free extents a Put must leave: kPutKeepFreeExtents, plus room to write the whole
  // index again (a compaction rewrites every live run before the old ones can be reclaimed).
  uint32_t PutKeepFreeExtents() const;
  // Runs an index flush or compaction; if it finds no room, reclaims by force and tries again
  // (InvalidArgument if the store was shut down while that waited). REQUIRES: as ReclaimIfLow.
  Status WriteIndex(sync::WriterLock& lock, const std::function<Status()>& write);
  std::vector<uint64_t> LiveBytesByExtent() const;
  // Each extent as the reclamation policy sees it.
  std::vector<ExtentView> ExtentViews() const;
  // The promise driver: flushes the memtable holding `node` and waits for that flush.
  Status DriveUntilSettled(const internal::WriteNode& node);

  const StoreOptions options_;  // chunk_payload_bytes_max resolved
  std::unique_ptr<ChunkStore> chunks_;
  const std::shared_ptr<internal::DriverLink> promise_link_;
  std::unique_ptr<PromiseDriver> promise_driver_;
  const std::unique_ptr<ReadBudget> read_budget_;
  mutable sync::SharedMutex mu_;
  std::unique_ptr<LsmIndex> index_;  // guarded by mu_
  bool shut_down_ = false;           // guarded by mu_
  uint64_t extents_reclaimed_ = 0;   // guarded by mu_
  // By reclamations the store started itself: live bytes copied, and room freed (an extent,
  // less its copies). Guarded by mu_.
  uint64_t reclaim_copied_bytes_ = 0;
  uint64_t reclaim_freed_bytes_ = 0;
  // No extent was worth reclaiming at the last look, and nothing has died since.
  bool reclaim_hopeless_ = false;  // guarded by mu_
  // Whether FlushIndexUnlocked is between its first and last step (as index_->flushing()), and
  // whether a data extent's reclamation is under way (EvacuateDataExtent, which releases mu_
  // while it scans and flushes), for AwaitIndexFlush and AwaitMaintenance to wait on without mu_.
  sync::Mutex maintenance_mu_;
  sync::CondVar maintenance_done_;
  bool index_flush_in_flight_ = false;  // guarded by maintenance_mu_
  // Written with mu_ (exclusively) and maintenance_mu_ both held; read with either.
  bool reclaim_in_flight_ = false;
};

// The implementation behind a Store that Store::Open returned.
inline StoreImpl& StoreInternals(Store& store) { return static_cast<StoreImpl&>(store); }

}  // namespace shardstore
