#include <unistd.h>

#include <algorithm>
#include <functional>
#include <string>

#include "chunkstore/chunk_store.h"
#include "hooks/coverage_site.h"
#include "hooks/seeded_bug_site.h"
#include "index/lsm_index.h"
#include "index/lsm_metadata.h"
#include "index/run_format.h"
#include "io/write_node.h"
#include "store/read_budget.h"
#include "store/reclaim_policy.h"
#include "store/store_impl.h"
#include "util/coding.h"

namespace shardstore {
namespace {

SS_COVERAGE_POINT(kPutSeveralChunks, "put split a value into several chunks");
SS_COVERAGE_POINT(kPutEmptyValue, "put stored an empty value");
SS_COVERAGE_POINT(kPutForcedReclaim, "put found no room and reclaimed by force");
SS_COVERAGE_POINT(kPutFlushedIndexForRoom,
                  "put found no room and flushed the index to free what it replaced");
SS_COVERAGE_POINT(kPutNoSpace, "put failed with NoSpace");
SS_COVERAGE_POINT(kIndexFlushedUnlocked, "an index flush ran with the store's lock released");
SS_COVERAGE_POINT(kAwaitedIndexFlush, "an operation waited for an index flush in flight");
SS_COVERAGE_POINT(kDeleteNothing, "delete of a durably absent key wrote nothing");
SS_COVERAGE_POINT(kDeleteTombstone, "delete wrote a tombstone");
SS_COVERAGE_POINT(kDeleteTombstoneInIndexOnly,
                  "delete found no room for a tombstone chunk and put it in the index alone");
SS_COVERAGE_POINT(kReclaimEvacuatedChunk, "reclaim evacuated a chunk");
SS_COVERAGE_POINT(kReclaimSkippedDeadChunk, "reclaim skipped a dead chunk");
SS_COVERAGE_POINT(kReclaimIndexExtent, "reclaim emptied an index or metadata extent");
SS_COVERAGE_POINT(kReclaimReset, "reclaim reset an extent");
SS_COVERAGE_POINT(kReclaimOpenDeadExtent, "reclaim reset the extent open for appends, all dead");
SS_COVERAGE_POINT(kReclaimKeptLiveExtent, "reclaim kept an extent that still held live bytes");
SS_COVERAGE_POINT(kBackgroundReclaim, "put or delete reclaimed an extent in the background");
SS_COVERAGE_POINT(kReclaimDeadExtent, "an index flush freed a dead extent, the reserve being low");
SS_COVERAGE_POINT(kKeyPastLimitRefused, "store refused a key longer than kKeyBytesMax");
SS_COVERAGE_POINT(kIndexForcedReclaim, "an index write found no room and reclaimed by force");
SS_COVERAGE_POINT(kReclaimDeadIndexExtent, "reclaim reset an index extent with nothing live");
SS_COVERAGE_POINT(kReclaimDeclinedNotWorth,
                  "background reclaim scanned an extent and declined: too little to free");
SS_COVERAGE_POINT(kReclaimDeclinedNoRoom,
                  "reclaim declined before copying: the live chunks do not fit elsewhere");
SS_COVERAGE_POINT(kReclaimNothingWorthIt, "background reclaim found no extent worth reclaiming");
SS_COVERAGE_POINT(kReclaimScannedUnlocked,
                  "reclaim scanned an extent with the store's lock released");
SS_COVERAGE_POINT(kReclaimChunkDiedDuringScan,
                  "a chunk live when reclaim read it was dead once reclaim took the lock again");
SS_COVERAGE_POINT(kAwaitedReclaim, "an operation waited for a reclamation's scan in flight");
SS_COVERAGE_POINT(kReclaimFlushedForDeclined,
                  "background reclaim flushed the index after a declined extent, and looked again");

// A key as messages show it: cut after 64 bytes (a key may have 1024), its length then given.
std::string ShownKey(std::string_view key) {
  constexpr size_t kShownBytes = 64;
  if (key.size() <= kShownBytes) return std::string(key);
  return std::string(key.substr(0, kShownBytes)) + "... (" + std::to_string(key.size()) + " bytes)";
}

}  // namespace

// Lets Dependency::Wait() on a Put's promise reach the Store that can flush its memtable.
class StoreImpl::PromiseDriver final : public internal::IoDriver {
 public:
  explicit PromiseDriver(StoreImpl* store) : store_(store) {}
  Status DriveUntilSettled(const internal::WriteNode& node) override {
    return store_->DriveUntilSettled(node);
  }

 private:
  StoreImpl* const store_;
};

Status Store::Format(Disk* disk, uint64_t seed) { return ChunkStore::Format(disk, seed); }

Status Store::CheckGeometry(const DiskGeometry& geometry) {
  SS_RETURN_IF_ERROR(ValidateGeometry(geometry));
  SS_RETURN_IF_ERROR(CheckSuperblockFits(geometry));
  if (geometry.extent_count < kFormatExtentCountMin) {
    return Status::InvalidArgument(
        std::to_string(geometry.extent_count) + " extents leave no room for data: the " +
        "superblock, the index and the free-extent reserves need at least " +
        std::to_string(kFormatExtentCountMin));
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& requested) {
  SS_ASSERT_MSG(requested.disk != nullptr, "StoreOptions.disk is required");
  StoreOptions options = requested;
  if (options.chunk_payload_bytes_max == 0) {
    options.chunk_payload_bytes_max =
        std::min(kChunkPayloadBytesDefault, options.disk->geometry().extent_bytes / 4);
  }
  if (options.chunk_payload_bytes_max == 0 ||
      options.chunk_payload_bytes_max > kChunkPayloadBytesMax) {
    return Status::InvalidArgument("chunk_payload_bytes_max must be in [1, " +
                                   std::to_string(kChunkPayloadBytesMax) + "]");
  }
  const uint32_t largest_frame = ChunkFrameBytes(kKeyBytesMax, options.chunk_payload_bytes_max);
  if (largest_frame > options.disk->geometry().extent_bytes) {
    return Status::InvalidArgument("a chunk of " + std::to_string(options.chunk_payload_bytes_max) +
                                   " payload bytes does not fit in an extent of " +
                                   std::to_string(options.disk->geometry().extent_bytes) +
                                   " bytes; lower chunk_payload_bytes_max");
  }
  if (options.memtable_entries_max == 0 || options.memtable_entries_max > kRunEntriesMax) {
    return Status::InvalidArgument("memtable_entries_max must be in [1, " +
                                   std::to_string(kRunEntriesMax) + "]");
  }
  if (options.read_buffer_bytes < largest_frame) {
    return Status::InvalidArgument("read_buffer_bytes must hold one chunk frame of " +
                                   std::to_string(largest_frame) + " bytes");
  }
  if (options.level0_runs_max == 0 || options.level0_runs_max > kRunsMax / 2) {
    return Status::InvalidArgument("level0_runs_max must be in [1, " +
                                   std::to_string(kRunsMax / 2) + "]");
  }
  ChunkStoreOptions chunk_options;
  chunk_options.disk = options.disk;
  chunk_options.seed = options.seed;
  chunk_options.format_if_blank = options.format_if_blank;
  chunk_options.read_only = options.read_only;
  chunk_options.read_cache_bytes =
      options.read_cache_bytes.value_or(DefaultReadCacheBytes(*options.disk));
  SS_ASSIGN_OR_RETURN(std::unique_ptr<ChunkStore> chunks, ChunkStore::Open(chunk_options));
  const std::optional<Locator> root = chunks->index_root();
  auto store = std::make_unique<StoreImpl>(options, std::move(chunks));
  SS_RETURN_IF_ERROR(store->index_->Recover(root).WithContext("loading the index"));
  SS_RETURN_IF_ERROR(
      store->ReplayTails().WithContext("replaying the chunks appended after the index"));
  return std::unique_ptr<Store>(std::move(store));
}

uint64_t DefaultReadCacheBytes(const Disk& disk) {
  constexpr uint64_t kBufferedCacheBytes = 8ull << 20;
  if (!disk.BypassesPageCache()) return kBufferedCacheBytes;
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_bytes = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_bytes <= 0) return kBufferedCacheBytes;
  return std::max(kBufferedCacheBytes, static_cast<uint64_t>(pages) * page_bytes / 8);
}

Store::~Store() = default;

StoreImpl::StoreImpl(const StoreOptions& options, std::unique_ptr<ChunkStore> chunks)
    : options_(options),
      chunks_(std::move(chunks)),
      promise_link_(std::make_shared<internal::DriverLink>()),
      promise_driver_(std::make_unique<PromiseDriver>(this)),
      read_budget_(std::make_unique<ReadBudget>(options.read_buffer_bytes)) {
  LsmOptions lsm;
  lsm.chunk_payload_bytes_max = options.chunk_payload_bytes_max;
  lsm.memtable_entries_max = options.memtable_entries_max;
  lsm.level0_runs_max = options.level0_runs_max;
  index_ = std::make_unique<LsmIndex>(chunks_.get(), lsm, promise_link_);
  promise_link_->Attach(promise_driver_.get());
}

StoreImpl::~StoreImpl() {
  promise_link_->Detach();
  sync::WriterLock lock(mu_);
  index_.reset();  // fails promises not yet settled
  lock.unlock();
  chunks_.reset();  // fails writes not yet durable
}

Status StoreImpl::DriveUntilSettled(const internal::WriteNode& node) {
  sync::WriterLock lock(mu_);
  // A flush in flight may hold `node`: once it ends, `node` is settled, or back in the memtable.
  AwaitIndexFlush(lock);
  reclaim_hopeless_ = false;  // a flush leaves the previous metadata chunk dead
  return index_->SettlePromise(node);
}

Status StoreImpl::CheckOpen() const {
  if (shut_down_) return Status::InvalidArgument("the store is shut down");
  return Status::Ok();
}

Status StoreImpl::CheckWritable() const {
  SS_RETURN_IF_ERROR(CheckOpen());
  if (options_.read_only) return Status::InvalidArgument("the store is open read-only");
  return Status::Ok();
}

Status StoreImpl::CheckKey(std::string_view key) const {
  if (key.empty() || key.size() > kKeyBytesMax) {
    if (!key.empty()) SS_COVER(kKeyPastLimitRefused);
    return Status::InvalidArgument("a key must have 1 to " + std::to_string(kKeyBytesMax) +
                                   " bytes (got " + std::to_string(key.size()) + ")");
  }
  return Status::Ok();
}

StatusOr<std::vector<Locator>> StoreImpl::AppendValue(std::string_view key, uint64_t sequence,
                                                      ByteView value, uint32_t keep_free_extents,
                                                      Dependency* persistent, Dependency* written) {
  const uint64_t part_bytes = options_.chunk_payload_bytes_max;
  const auto part_count = static_cast<uint32_t>(
      value.empty()
          ? 1
          : (value.size() + part_bytes - 1 - SS_SEEDED_BUG(kValueSplitDropsLastByte)) / part_bytes);
  std::vector<Locator> parts;
  for (uint32_t part = 0; part < part_count; ++part) {
    ChunkHeader header;
    header.kind = ChunkKind::kData;
    header.sequence = sequence;
    header.part_index = part;
    header.part_count = part_count;
    const size_t begin = part * part_bytes;
    const ByteView slice = value.subspan(begin, std::min<size_t>(part_bytes, value.size() - begin));
    // On failure the parts already appended are garbage nothing points at; reclamation frees
    // them, and the previous value stays visible.
    SS_ASSIGN_OR_RETURN(
        ChunkStore::Appended appended,
        chunks_->Append(ExtentOwner::kData, header, key, slice, Dependency(), keep_free_extents));
    parts.push_back(appended.locator);
    if (part == 1) SS_COVER(kPutSeveralChunks);
    *persistent = persistent->And(appended.dependency);
    *written = written->And(appended.written);
  }
  return parts;
}

StatusOr<Dependency> StoreImpl::Put(std::string_view key, ByteView value) {
  SS_RETURN_IF_ERROR(CheckKey(key));
  if (value.size() > kValueBytesMax) {
    return Status::InvalidArgument("value larger than " + std::to_string(kValueBytesMax) +
                                   " bytes");
  }
  const uint64_t parts_needed = value.empty()
                                    ? 1
                                    : (value.size() + options_.chunk_payload_bytes_max - 1) /
                                          options_.chunk_payload_bytes_max;
  if (parts_needed > kChunkPartsMax) {
    return Status::InvalidArgument("a value of " + std::to_string(value.size()) + " bytes needs " +
                                   std::to_string(parts_needed) + " chunks; the limit is " +
                                   std::to_string(kChunkPartsMax));
  }
  sync::WriterLock lock(mu_);
  SS_RETURN_IF_ERROR(CheckWritable());
  // A failure here only means less room; it matters if the value then does not fit.
  const Status background = ReclaimIfLow(lock);
  uint64_t sequence = chunks_->NextSequence();
  Dependency persistent, written;
  StatusOr<std::vector<Locator>> parts =
      AppendValue(key, sequence, value, PutKeepFreeExtents(), &persistent, &written);
  if (parts.status().IsNoSpace() && options_.reclaim_free_extents_min > 0) {
    // Make room by force: reclaim whatever frees space, then try once more. Reclamation waits
    // for an index flush or reclamation in flight (the parts appended so far are garbage
    // either way).
    AwaitMaintenance(lock);
    SS_RETURN_IF_ERROR(CheckWritable());
    reclaim_hopeless_ = false;
    SS_COVER(kPutForcedReclaim);
    // Chunks that deletes and overwrites still in the memtable replaced stay live until the
    // index says so durably (a crash would bring them back): flush it first, so that they are
    // dead and need no room to be copied to. (A failed flush only means less room.)
    if (index_->memtable_entries() > 0 && WriteIndex(lock, [&] { return index_->Flush(); }).ok()) {
      SS_COVER(kPutFlushedIndexForRoom);
      ReclaimDeadExtents(lock);
    }
    const Status reclaimed = ReclaimIfLow(lock, /*force=*/true);
    persistent = written = Dependency();
    // A fresh sequence: the parts the first attempt left are garbage, and recovery, which
    // gathers a value's parts by key and sequence, must never complete a value with them.
    sequence = chunks_->NextSequence();
    parts = AppendValue(key, sequence, value, PutKeepFreeExtents(), &persistent, &written);
    // Out of room because reclamation hit an IO error: that error is the cause, not a full disk.
    const Status& io = reclaimed.IsIOError() ? reclaimed : background;
    if (parts.status().IsNoSpace() && io.IsIOError()) {
      return Status::IOError("no room for the value: reclamation failed: " + io.ToString());
    }
  }
  if (parts.status().IsNoSpace()) {
    SS_COVER(kPutNoSpace);
    return Status::NoSpace(
        "no room for a value of " + std::to_string(value.size()) +
        " bytes: " + std::to_string(chunks_->free_extents()) +
        " extents are free, and puts leave " + std::to_string(PutKeepFreeExtents()) +
        " free so the index can always be flushed, compacted and reclaimed; delete shards to "
        "make room (deletes and puts reclaim the space by themselves)");
  }
  SS_RETURN_IF_ERROR(parts.status());
  if (value.empty()) SS_COVER(kPutEmptyValue);
  if (index_->Lookup(key)) reclaim_hopeless_ = false;  // an overwrite leaves dead bytes
  index_->Insert(std::string(key), IndexEntry{sequence, false, std::move(parts).value()}, written);
  MaintainIndex(lock);
  // Durable with its chunks (one flush, shared by every client that put meanwhile; the first
  // chunk of a data extent also waits for the superblock recording the extent): recovery follows
  // each data extent's chain and replays the chunks past the replay floors into the index
  // (ReplayTails). The index flush comes later.
  return SS_SEEDED_BUG(kPutAcknowledgedBeforeIndex) ? written : persistent;
}

StatusOr<Bytes> StoreImpl::Get(std::string_view key) {
  SS_RETURN_IF_ERROR(CheckKey(key));
  sync::ReaderLock lock(mu_);
  SS_RETURN_IF_ERROR(CheckOpen());
  const std::optional<IndexEntry> entry = index_->Lookup(key);
  if (!entry || entry->tombstone) return Status::NotFound("no shard " + ShownKey(key));
  // The lock also keeps the entry's locators valid: reclamation may move and reset them.
  if (SS_SEEDED_BUG(kGetReadsChunksUnlocked)) lock.unlock();
  // Room for every frame at once (all of the budget for a value larger than it): taking it
  // piece by piece while holding the rest can deadlock two Gets.
  ReadReservation reservation(read_budget_.get());
  uint64_t read_bytes = 0;
  for (const Locator& part : entry->parts) read_bytes += ChunkStore::ReadBytes(part);
  if (!SS_SEEDED_BUG(kGetReservesReadBufferPerPart)) {
    reservation.Add(std::min(read_bytes, read_budget_->capacity()));
  }
  // The payloads are copied once, from the verified frames (shared with the read cache)
  // straight into the value; its size is known from the first frame's header.
  Bytes value;
  const auto part_count = static_cast<uint32_t>(entry->parts.size());
  for (uint32_t part = 0; part < part_count; ++part) {
    if (SS_SEEDED_BUG(kGetReservesReadBufferPerPart)) {
      reservation.Add(ChunkStore::ReadBytes(entry->parts[part]));
    }
    SS_ASSIGN_OR_RETURN(const ChunkStore::FrameRef frame, chunks_->ReadFrame(entry->parts[part]));
    const ChunkView& chunk = frame->view;
    // The frame verified; make sure it is the frame the index meant.
    if (chunk.key != key || chunk.header.kind != ChunkKind::kData ||
        chunk.header.sequence != entry->sequence || chunk.header.part_index != part ||
        chunk.header.part_count != part_count) {
      return Status::Corruption("chunk at " + entry->parts[part].ToString() + " is not part " +
                                std::to_string(part) + " of shard " + ShownKey(key));
    }
    if (part == 0) value.reserve(uint64_t{chunk.payload.size()} * part_count);
    value.insert(value.end(), chunk.payload.begin(), chunk.payload.end());
  }
  return value;
}

StatusOr<Dependency> StoreImpl::Delete(std::string_view key) {
  SS_RETURN_IF_ERROR(CheckKey(key));
  sync::WriterLock lock(mu_);
  SS_RETURN_IF_ERROR(CheckWritable());
  // Nothing to do only when the absence itself is durable: runs are, the memtable is not.
  const auto durably_absent = [&] {
    const std::optional<IndexEntry> entry = index_->Lookup(key);
    return !entry || (entry->tombstone && !index_->InMemtable(key));
  };
  if (durably_absent()) {
    SS_COVER(kDeleteNothing);
    return Dependency();
  }
  // Deletes write index runs and metadata; without reclaiming, a disk that puts filled would
  // run out of room for them before every key is gone. A failure only means less room. It may
  // release the lock while it scans: look again after it.
  ReclaimIfLow(lock).IgnoreError();
  if (durably_absent()) {
    SS_COVER(kDeleteNothing);
    return Dependency();
  }
  SS_COVER(kDeleteTombstone);
  reclaim_hopeless_ = false;  // the deleted value's chunks are dead bytes now
  // The tombstone is a chunk of its own, so that recovery replays it as it replays a Put. It
  // leaves the free extents Puts leave: on a full disk a delete must make room, not take it.
  const uint64_t sequence = chunks_->NextSequence();
  ChunkHeader header;
  header.kind = ChunkKind::kTombstone;
  header.sequence = sequence;
  StatusOr<ChunkStore::Appended> appended = chunks_->Append(
      ExtentOwner::kData, header, key, ByteView(), Dependency(), PutKeepFreeExtents());
  if (appended.status().IsNoSpace()) {
    // No room for data: the tombstone goes to the index alone, durable with the next index
    // flush (the room kept for the index is there for this).
    SS_COVER(kDeleteTombstoneInIndexOnly);
    const Dependency promise =
        index_->Insert(std::string(key), IndexEntry{sequence, true, {}}, Dependency());
    MaintainIndex(lock);
    return SS_SEEDED_BUG(kDeleteAcknowledgedBeforeTombstone) ? Dependency() : promise;
  }
  SS_RETURN_IF_ERROR(appended.status());
  index_->Insert(std::string(key), IndexEntry{sequence, true, {}}, appended->written);
  MaintainIndex(lock);
  return SS_SEEDED_BUG(kDeleteAcknowledgedBeforeTombstone) ? Dependency() : appended->dependency;
}

StatusOr<std::vector<std::string>> StoreImpl::List() {
  sync::ReaderLock lock(mu_);
  SS_RETURN_IF_ERROR(CheckOpen());
  // Both parts of the index under one hold of the lock: a flush moves entries from the
  // memtable into a run, so parts taken apart may miss them (a Delete's tombstone included).
  const LsmIndex::KeyVersions in_runs = index_->NewestInRunsByKey();
  if (SS_SEEDED_BUG(kListSnapshotsRunsAndMemtableApart)) {
    lock.unlock();
    lock.lock();
  }
  const LsmIndex::KeyVersions in_memtable = index_->NewestInMemtableByKey();
  lock.unlock();
  // Merge the two key-ordered lists; the memtable's version is the newer.
  std::vector<std::string> keys;
  auto run = in_runs.begin();
  auto mem = in_memtable.begin();
  while (run != in_runs.end() || mem != in_memtable.end()) {
    if (mem == in_memtable.end() || (run != in_runs.end() && run->first < mem->first)) {
      if (!run->second.tombstone) keys.push_back(run->first);
      ++run;
      continue;
    }
    if (run != in_runs.end() && run->first == mem->first) ++run;
    if (!mem->second.tombstone) keys.push_back(mem->first);
    ++mem;
  }
  return keys;
}

Status StoreImpl::WriteIndex(sync::WriterLock& lock, const std::function<Status()>& write) {
  Status status = write();
  if (!status.IsNoSpace() || options_.reclaim_free_extents_min == 0) return status;
  reclaim_hopeless_ = false;
  SS_COVER(kIndexForcedReclaim);
  ReclaimIfLow(lock, /*force=*/true).IgnoreError();
  SS_RETURN_IF_ERROR(CheckWritable());  // shut down while the reclamation waited
  status = write();
  if (!status.IsNoSpace()) return status;
  return Status::NoSpace(
      "no room to write the index even after reclaiming: " + status.message() +
      "; delete shards, or Reclaim() extents that Stat() shows holding reclaimable bytes");
}

void StoreImpl::MaintainIndex(sync::WriterLock& lock) {
  // The flush in flight is the one that was due; a compaction would wait for it.
  if (index_->flushing()) return;
  // A failed flush keeps the memtable; the promises report it when waited on.
  if (index_->ShouldFlush()) {
    Status flushed = FlushIndexUnlocked(lock);
    // No room for the run: reclaim by force, with the lock held throughout, and try again.
    if (flushed.IsNoSpace()) flushed = WriteIndex(lock, [&] { return index_->Flush(); });
    if (flushed.ok()) ReclaimDeadExtents(lock);
    reclaim_hopeless_ = false;  // the previous metadata chunk is dead now
  }
  if (index_->ShouldCompact()) {
    WriteIndex(lock, [&] { return index_->Compact(); }).IgnoreError();
    reclaim_hopeless_ = false;
  }
}

Status StoreImpl::FlushIndexUnlocked(sync::WriterLock& lock) {
  SS_ASSERT(!index_->flushing());
  const auto in_flight = [&](bool value) {
    sync::LockGuard guard(maintenance_mu_);
    index_flush_in_flight_ = value;
    if (!value) maintenance_done_.NotifyAll();
  };
  Dependency data = index_->BeginFlush();
  in_flight(true);
  SS_COVER(kIndexFlushedUnlocked);
  lock.unlock();
  data.Settle().IgnoreError();  // WriteFlush looks at the failures entry by entry
  lock.lock();
  StatusOr<Dependency> durable = index_->WriteFlush();
  Status waited = durable.status();
  if (durable.ok()) {
    lock.unlock();
    waited = durable->Wait();
    lock.lock();
  }
  const Status finished = index_->FinishFlush(waited);
  in_flight(false);
  return finished;
}

void StoreImpl::AwaitIndexFlush(sync::WriterLock& lock) {
  while (index_->flushing()) {
    SS_COVER(kAwaitedIndexFlush);
    lock.unlock();
    {
      sync::UniqueLock guard(maintenance_mu_);
      maintenance_done_.Wait(guard, [&] { return !index_flush_in_flight_; });
    }
    lock.lock();
  }
}

void StoreImpl::AwaitMaintenance(sync::WriterLock& lock) {
  for (;;) {
    AwaitIndexFlush(lock);
    if (!reclaim_in_flight_) return;
    SS_COVER(kAwaitedReclaim);
    lock.unlock();
    {
      sync::UniqueLock guard(maintenance_mu_);
      maintenance_done_.Wait(guard, [&] { return !reclaim_in_flight_; });
    }
    lock.lock();  // an index flush may have started meanwhile: look again
  }
}

Status StoreImpl::FlushLocked(sync::WriterLock& lock) {
  reclaim_hopeless_ = false;
  const Status index = WriteIndex(lock, [&] { return index_->Flush(); });
  if (index.ok()) ReclaimDeadExtents(lock);
  const Status chunks = chunks_->Flush();
  SS_RETURN_IF_ERROR(index);
  return chunks;
}

Status StoreImpl::Flush() {
  sync::WriterLock lock(mu_);
  AwaitMaintenance(lock);
  SS_RETURN_IF_ERROR(CheckWritable());
  return FlushLocked(lock);
}

Status StoreImpl::Compact() {
  sync::WriterLock lock(mu_);
  AwaitMaintenance(lock);
  SS_RETURN_IF_ERROR(CheckWritable());
  reclaim_hopeless_ = false;  // the merged runs are dead now
  // The merged run is written before the runs it replaces die, so compaction needs index room
  // a flush does not. With few extents free, reclaim dead ones first, as a Put does (a failure
  // only means less room; it matters if the merged run then does not fit).
  ReclaimIfLow(lock).IgnoreError();
  SS_ASSIGN_OR_RETURN(std::optional<LsmIndex::CompactionPlan> plan, index_->PlanCompaction());
  if (!plan) return Status::Ok();
  // The merge is the costly part; Puts, Gets, flushes and reclamation go on meanwhile.
  lock.unlock();
  RunEntries merged = LsmIndex::Merge(*plan);
  lock.lock();
  // One may have started meanwhile (its run goes above the merged one), or a reclamation.
  AwaitMaintenance(lock);
  SS_RETURN_IF_ERROR(CheckOpen());
  reclaim_hopeless_ = false;
  const Status installed = index_->InstallCompaction(*plan, std::move(merged));
  if (!installed.IsNoSpace()) return installed;
  // No room for the merged run: reclaim, and merge again under the lock.
  return WriteIndex(lock, [&] { return index_->Compact(); });
}

Status StoreImpl::Shutdown() {
  sync::WriterLock lock(mu_);
  AwaitMaintenance(lock);
  SS_RETURN_IF_ERROR(CheckOpen());
  shut_down_ = true;
  if (options_.read_only) return Status::Ok();
  return FlushLocked(lock);
}

Status StoreImpl::Verify() {
  sync::WriterLock lock(mu_);  // reads run through the chunk store's single lock anyway
  SS_RETURN_IF_ERROR(CheckOpen());
  Status first;
  index_->ForEachLive([&](const std::string& key, const IndexEntry& entry) {
    if (!first.ok()) return;
    const auto part_count = static_cast<uint32_t>(entry.parts.size());
    for (uint32_t part = 0; part < part_count && first.ok(); ++part) {
      StatusOr<ChunkStore::Chunk> chunk = chunks_->ReadUncached(entry.parts[part]);
      if (!chunk.ok()) {
        first = chunk.status().WithContext("shard " + ShownKey(key));
      } else if (chunk->key != key || chunk->header.kind != ChunkKind::kData ||
                 chunk->header.sequence != entry.sequence || chunk->header.part_index != part ||
                 chunk->header.part_count != part_count) {
        first = Status::Corruption("chunk at " + entry.parts[part].ToString() + " is not part " +
                                   std::to_string(part) + " of shard " + ShownKey(key));
      }
    }
  });
  SS_RETURN_IF_ERROR(first);
  return index_->VerifyStored().WithContext("verifying the index");
}

Status StoreImpl::Reclaim(uint32_t extent) {
  sync::WriterLock lock(mu_);
  AwaitMaintenance(lock);
  SS_RETURN_IF_ERROR(CheckWritable());
  // Its index flush makes dead what the memtable kept live (a reclamation declined for it may
  // be worth it now), and resetting frees room for evacuations declined for want of it.
  reclaim_hopeless_ = false;
  return ReclaimLocked(lock, extent, ReclaimBy::kCaller);
}

struct StoreImpl::LiveCopy {
  Locator locator;
  ChunkHeader header;
  std::string key;
  Bytes payload;
};

Status StoreImpl::ScanLiveChunks(sync::WriterLock& lock, uint32_t extent,
                                 std::vector<LiveCopy>* live) {
  SS_ASSERT(!index_->flushing() && reclaim_in_flight_);
  // Memtable entries whose data is still pending (a copy made by a reclamation whose index
  // flush failed, a Put waiting for its superblock) keep the chunks they shadow live: settle
  // them first, so a chunk a durable entry has replaced is not copied again, and the space of
  // a failed evacuation comes back.
  const Dependency pending = index_->MemtableData();
  SS_COVER(kReclaimScannedUnlocked);
  lock.unlock();
  pending.Settle().IgnoreError();  // a failed entry is as if never made: IsLiveChunk skips it
  // A chunk is live when an index entry that is, or may again become, the newest names it. The
  // extent is sealed and no other reclamation runs: a chunk found dead now stays dead.
  auto is_live = [&](const Locator& locator, const ChunkHeader& header, std::string_view key) {
    if (header.kind != ChunkKind::kData) return false;
    const sync::ReaderLock reader(mu_);
    return index_->IsLiveChunk(key, header.sequence, header.part_index, locator);
  };
  Status damaged_live;
  const Status scanned = chunks_->Scan(
      extent,
      [&](const Locator& locator, const ChunkView& chunk) {
        if (!is_live(locator, chunk.header, chunk.key)) {
          SS_COVER(kReclaimSkippedDeadChunk);
          return;
        }
        live->push_back({locator, chunk.header, std::string(chunk.key),
                         Bytes(chunk.payload.begin(), chunk.payload.end())});
      },
      [&](const Locator& locator, const ChunkHeader& header, std::string_view key,
          const Status& status) {
        if (damaged_live.ok() && is_live(locator, header, key)) damaged_live = status;
      });
  lock.lock();
  SS_RETURN_IF_ERROR(scanned);
  // A needed chunk that cannot be read stays where it is, with its extent: resetting would turn
  // a Corruption into lost data.
  return damaged_live;
}

void StoreImpl::SetReclaimInFlight(bool value) {
  sync::LockGuard guard(maintenance_mu_);
  reclaim_in_flight_ = value;
  if (!value) maintenance_done_.NotifyAll();
}

Status StoreImpl::EvacuateDataExtent(sync::WriterLock& lock, uint32_t extent, ReclaimBy by,
                                     uint64_t* copied_bytes) {
  const DiskGeometry geometry = chunks_->geometry();
  std::vector<LiveCopy> scanned;
  const Status scan = ScanLiveChunks(lock, extent, &scanned);
  // An index flush may have started while the lock was released: copies must not be
  // relocated under its feet (its run names chunks where they were).
  AwaitIndexFlush(lock);
  SS_RETURN_IF_ERROR(scan);
  // Deletes and overwrites made meanwhile may have killed some of what the scan kept.
  std::vector<LiveCopy> live;
  for (LiveCopy& chunk : scanned) {
    if (index_->IsLiveChunk(chunk.key, chunk.header.sequence, chunk.header.part_index,
                            chunk.locator)) {
      live.push_back(std::move(chunk));
    } else {
      SS_COVER(kReclaimChunkDiedDuringScan);
    }
  }
  // Decide before copying anything: a copy that gains nothing, or that runs out of room half
  // way, costs the disk bandwidth and leaves the extent as it was. The policy judged the
  // extent by what the newest entries name; the scan also keeps chunks that overwrites and
  // deletes still in the memtable replaced (a crash would bring them back), so it may find
  // the extent not worth it after all. (Flushing the index first would make them dead, but
  // may take the room the copies need: the index may use the last free extents.)
  std::vector<uint32_t> frames;
  uint64_t live_bytes = 0;
  for (const LiveCopy& chunk : live) {
    frames.push_back(chunk.locator.length);
    live_bytes += chunk.locator.length;
  }
  if (by == ReclaimBy::kStore && !FreesWorthwhileShare(live_bytes, geometry.extent_bytes)) {
    SS_COVER(kReclaimDeclinedNotWorth);
    return Status::NoSpace("reclaiming extent " + std::to_string(extent) + " would copy " +
                           std::to_string(live_bytes) + " live bytes to free " +
                           std::to_string(geometry.extent_bytes - live_bytes) +
                           ": less than the worthwhile share");
  }
  if (!EvacuationFits(frames, DataEvacuationRoom())) {
    SS_COVER(kReclaimDeclinedNoRoom);
    return Status::NoSpace("extent " + std::to_string(extent) + " holds " +
                           std::to_string(live.size()) + " live chunks (" +
                           std::to_string(live_bytes) +
                           " bytes) and there is no room to move them; delete shards first");
  }
  Dependency moved_all;
  for (LiveCopy& chunk : live) {
    StatusOr<ChunkStore::Appended> copied =
        chunks_->Append(ExtentOwner::kData, chunk.header, chunk.key, chunk.payload, Dependency(),
                        kEvacuationKeepFreeExtents);
    if (copied.status().IsNoSpace()) {
      return Status::NoSpace("extent " + std::to_string(extent) + " holds " +
                             std::to_string(live.size()) +
                             " live chunks and there is no room to move them (" +
                             copied.status().message() + "); delete shards first");
    }
    SS_ASSIGN_OR_RETURN(ChunkStore::Appended moved, std::move(copied));
    *copied_bytes += moved.locator.length;
    if (by == ReclaimBy::kStore) reclaim_copied_bytes_ += moved.locator.length;
    index_->Relocate(chunk.key, chunk.header.sequence, chunk.header.part_index, chunk.locator,
                     moved.locator, moved.written);
    moved_all = moved_all.And(moved.dependency);
    SS_COVER(kReclaimEvacuatedChunk);
  }
  if (SS_SEEDED_BUG(kResetBeforeIndexDurable)) chunks_->Reset(extent).IgnoreError();
  // The flush makes every newer entry durable, ours and any user change still in the
  // memtable that shadows a chunk of this extent. Gets meanwhile read the originals or the
  // copies; the extent is reset only once the lock is held again.
  SS_RETURN_IF_ERROR(FlushIndexUnlocked(lock));
  // A copy that failed was left out of the index, which then still points here: keep it.
  if (!moved_all.IsPersistent()) {
    return Status::IOError("evacuating extent " + std::to_string(extent) +
                           " failed: " + moved_all.Failure().ToString());
  }
  return Status::Ok();
}

Status StoreImpl::ReclaimLocked(sync::WriterLock& lock, uint32_t extent, ReclaimBy by) {
  SS_ASSERT(!index_->flushing() && !reclaim_in_flight_);
  const DiskGeometry geometry = chunks_->geometry();
  if (extent == 0 || extent >= geometry.extent_count) {
    return Status::InvalidArgument("extent " + std::to_string(extent) + " cannot be reclaimed");
  }
  const ExtentOwner owner = chunks_->owner(extent);
  if (owner == ExtentOwner::kFree) {
    return Status::InvalidArgument("extent " + std::to_string(extent) + " is free");
  }
  chunks_->Seal(extent);      // nothing new lands there while it is emptied
  uint64_t copied_bytes = 0;  // live bytes written elsewhere by this reclamation

  if (owner == ExtentOwner::kData) {
    // One reclamation at a time, though this one releases the lock while it scans and flushes.
    SetReclaimInFlight(true);
    const Status evacuated = EvacuateDataExtent(lock, extent, by, &copied_bytes);
    SetReclaimInFlight(false);
    SS_RETURN_IF_ERROR(evacuated);
  } else if (const uint64_t live_bytes = LiveBytesByExtent()[extent]; live_bytes > 0) {
    if (by == ReclaimBy::kStore && !FreesWorthwhileShare(live_bytes, geometry.extent_bytes)) {
      SS_COVER(kReclaimDeclinedNotWorth);
      return Status::NoSpace("reclaiming index extent " + std::to_string(extent) +
                             " would rewrite " + std::to_string(live_bytes) +
                             " live bytes: less than the worthwhile share is dead");
    }
    SS_RETURN_IF_ERROR(index_->Flush());
    SS_RETURN_IF_ERROR(index_->EvacuateIndexExtent(extent));
    copied_bytes = live_bytes;
    if (by == ReclaimBy::kStore) reclaim_copied_bytes_ += live_bytes;
    SS_COVER(kReclaimIndexExtent);
  } else {
    // No live run and not the root: nothing points here, and nothing needs writing first — so
    // this works even when the index has no room to be flushed.
    SS_COVER(kReclaimDeadIndexExtent);
  }
  // Nothing durable should point into the extent any more. A live chunk whose header was
  // damaged escapes the scan; the index still names it, so keep the extent rather than lose it.
  if (const uint64_t live = LiveBytesByExtent()[extent]; live > 0) {
    SS_COVER(kReclaimKeptLiveExtent);
    return Status::Corruption("extent " + std::to_string(extent) + " still holds " +
                              std::to_string(live) + " live bytes the scan could not read");
  }
  SS_RETURN_IF_ERROR(chunks_->Reset(extent).status());
  SS_COVER(kReclaimReset);
  ++extents_reclaimed_;
  // A whole extent is free again; the copies took `copied_bytes` of room elsewhere.
  SS_ASSERT(copied_bytes <= geometry.extent_bytes);
  if (by == ReclaimBy::kStore) reclaim_freed_bytes_ += geometry.extent_bytes - copied_bytes;
  return Status::Ok();
}

EvacuationRoom StoreImpl::DataEvacuationRoom() const {
  EvacuationRoom room;
  room.extent_bytes = chunks_->geometry().extent_bytes;
  room.free_extents = chunks_->free_extents();
  const std::vector<ChunkStore::ExtentInfo> extents = chunks_->Extents();
  for (const uint32_t e : chunks_->ExtentsOwnedBy(ExtentOwner::kData)) {
    if (chunks_->IsOpen(e)) {
      // A copy may start a write of its own, on the next page.
      room.open_room_bytes =
          room.extent_bytes - coding::RoundUp(extents[e].write_pointer, kPageBytes);
    }
  }
  return room;
}

uint32_t StoreImpl::PutKeepFreeExtents() const {
  // Before its first flush the index owns no extent: its first run and metadata will open one
  // each, on top of what the reserve keeps for reclamation.
  const uint32_t index_to_open = index_->root() ? 0 : 2;
  return shardstore::PutKeepFreeExtents(index_->memtable_run_bytes() + index_->index_live_bytes(),
                                        chunks_->geometry()) +
         index_to_open;
}

std::vector<ExtentView> StoreImpl::ExtentViews() const {
  const std::vector<uint64_t> live = LiveBytesByExtent();
  const std::vector<ChunkStore::ExtentInfo> extents = chunks_->Extents();
  std::vector<ExtentView> views(extents.size());
  for (uint32_t e = 0; e < extents.size(); ++e) {
    views[e] = {extents[e].owner, extents[e].write_pointer, live[e], chunks_->IsOpen(e)};
  }
  return views;
}

std::vector<uint64_t> StoreImpl::LiveBytesByExtent() const {
  std::vector<uint64_t> live(chunks_->geometry().extent_count, 0);
  index_->ForEachLive([&](const std::string&, const IndexEntry& entry) {
    for (const Locator& l : entry.parts) live[l.extent] += l.length;
  });
  for (const auto& [extent, bytes] : index_->IndexLiveBytes()) live[extent] += bytes;
  return live;
}

void StoreImpl::ReclaimDeadExtents(sync::WriterLock& lock) {
  // Index runs and metadata open new extents (after a reboot, or past a failed write) and leave
  // old ones dead; data overwritten leaves dead extents too. Only Puts reclaim in the background,
  // so a store that mostly flushes could spend its reserve on them. Right after an index flush
  // nothing in the memtable can make a dead chunk live again, so an extent with no live bytes
  // is reset without copying anything.
  if (options_.reclaim_free_extents_min == 0 || index_->flushing() || reclaim_in_flight_) return;
  std::vector<ExtentView> extents = ExtentViews();
  for (uint32_t e = 1; e < extents.size(); ++e) {
    if (chunks_->free_extents() > kPutKeepFreeExtents) return;
    if (!IsDeadExtent(extents[e]) || chunks_->IsOpen(e)) continue;
    if (ReclaimLocked(lock, e, ReclaimBy::kStore).ok()) SS_COVER(kReclaimDeadExtent);
    // A reclamation releases the lock while it scans: what the others hold may have changed.
    extents = ExtentViews();
  }
}

Status StoreImpl::ReclaimIfLow(sync::WriterLock& lock, bool force) {
  // Looking for a candidate costs a pass over the index; skip it until something has died.
  if (options_.reclaim_free_extents_min == 0 || reclaim_hopeless_) return Status::Ok();
  // Reclamation moves chunks the run of an index flush in flight may name, and one reclamation
  // runs at a time: the background skips its turn; a forced reclamation waits.
  if (force) {
    AwaitMaintenance(lock);
    SS_RETURN_IF_ERROR(CheckWritable());  // shut down while it waited
  }
  if (index_->flushing() || reclaim_in_flight_) return Status::Ok();
  const uint32_t extent_count = chunks_->geometry().extent_count;
  // Forced (a Put found no room): reclaim until the reserve that Puts keep is exceeded.
  const uint32_t free_wanted =
      force ? std::max(options_.reclaim_free_extents_min, PutKeepFreeExtents())
            : options_.reclaim_free_extents_min;
  // Extents passed over from here on: a failed reclaim leaves its extent as it was; a declined
  // one (NoSpace: not worth it, or no room for its live chunks, decided before copying) too.
  std::vector<bool> skip(extent_count, false);
  bool any_failed = false;
  bool flushed = false;
  Status first_failure;
  for (uint32_t round = 0; round < extent_count; ++round) {
    if (chunks_->free_extents() > free_wanted) return Status::Ok();
    // The emptiest extent worth reclaiming whose live chunks fit elsewhere.
    const std::optional<uint32_t> best =
        PickExtentToReclaim(ExtentViews(), skip, DataEvacuationRoom());
    if (!best) {
      // Stop: nothing frees a worthwhile share. Hopeless (no search until something dies) only
      // when no attempt failed; a failed attempt may succeed later.
      SS_COVER(kReclaimNothingWorthIt);
      reclaim_hopeless_ = !any_failed;
      return first_failure;
    }
    if (chunks_->IsOpen(*best)) SS_COVER(kReclaimOpenDeadExtent);
    Status s = ReclaimLocked(lock, *best, ReclaimBy::kStore);
    if (s.IsNoSpace() && !flushed && index_->memtable_entries() > 0) {
      // Declined, perhaps for chunks the memtable still keeps live (the estimate counts only
      // what the newest entries name). Flush the index once, so they die, and look again.
      flushed = true;
      SS_COVER(kReclaimFlushedForDeclined);
      if (index_->Flush().ok()) {
        std::fill(skip.begin(), skip.end(), false);
        continue;
      }
    }
    if (!s.ok()) {
      skip[*best] = true;
      if (s.IsNoSpace()) continue;  // declined: nothing copied, nothing to retry soon
      if (first_failure.ok()) first_failure = s;
      any_failed = true;
      continue;
    }
    SS_COVER(kBackgroundReclaim);
  }
  return first_failure;
}

void StoreImpl::DropReadCache() { chunks_->DropReadCache(); }

std::vector<LiveChunk> StoreImpl::LiveChunks() {
  sync::ReaderLock lock(mu_);
  std::vector<LiveChunk> chunks;
  index_->ForEachLive([&](const std::string& key, const IndexEntry& entry) {
    for (const Locator& l : entry.parts) chunks.push_back({LiveChunk::Kind::kData, l, key});
  });
  for (const Locator& l : index_->LiveRunChunks()) {
    chunks.push_back({LiveChunk::Kind::kIndexRun, l, {}});
  }
  if (const std::optional<Locator> root = index_->root()) {
    chunks.push_back({LiveChunk::Kind::kIndexMetadata, *root, {}});
  }
  return chunks;
}

StoreStat StoreImpl::Stat() {
  sync::ReaderLock lock(mu_);
  StoreStat stat;
  stat.geometry = chunks_->geometry();
  stat.put_reserve_extents = PutKeepFreeExtents();
  stat.superblock_sequence = chunks_->superblock_sequence();
  index_->ForEachLive([&](const std::string&, const IndexEntry&) { ++stat.keys; });
  stat.memtable_entries = index_->memtable_entries();
  for (const auto& level : index_->Levels()) {
    stat.levels.push_back({level.level, level.runs, level.entries});
  }
  const std::vector<uint64_t> live = LiveBytesByExtent();
  const std::vector<ChunkStore::ExtentInfo> extents = chunks_->Extents();
  for (uint32_t e = 0; e < extents.size(); ++e) {
    if (extents[e].owner == ExtentOwner::kFree) {
      ++stat.free_extents;
      continue;
    }
    stat.extents.push_back({e, std::string(ExtentOwnerName(extents[e].owner)),
                            extents[e].write_pointer, live[e], extents[e].resets,
                            chunks_->IsOpen(e)});
    stat.live_bytes += live[e];
    if (e != 0)
      stat.reclaimable_bytes +=
          extents[e].write_pointer - std::min<uint64_t>(live[e], extents[e].write_pointer);
  }
  stat.extents_reclaimed = extents_reclaimed_;
  stat.reclaim_copied_bytes = reclaim_copied_bytes_;
  stat.reclaim_freed_bytes = reclaim_freed_bytes_;
  return stat;
}

}  // namespace shardstore
