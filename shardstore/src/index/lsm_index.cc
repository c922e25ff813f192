#include "index/lsm_index.h"

#include <algorithm>
#include <iterator>
#include <string>
#include <utility>

#include "hooks/coverage_site.h"
#include "hooks/seeded_bug_site.h"
#include "index/run_format.h"
#include "io/dependency_access.h"
#include "shardstore/limits.h"

namespace shardstore {
namespace {

SS_COVERAGE_POINT(kFlushWroteRun, "index flush wrote a run");
SS_COVERAGE_POINT(kFlushFellBack, "index flush fell back past an entry whose data failed");
SS_COVERAGE_POINT(kCompactionDroppedTombstone, "compaction dropped a tombstone");
SS_COVERAGE_POINT(kCompactionDroppedOverwritten, "compaction dropped an overwritten entry");
SS_COVERAGE_POINT(kRelocatedRunEntry, "relocation gave a run entry a memtable twin");
SS_COVERAGE_POINT(kEvacuatedRun, "index evacuation rewrote a run");
SS_COVERAGE_POINT(kMovedMetadata, "index evacuation wrote new metadata");
SS_COVERAGE_POINT(kRecoveredRun, "recovery loaded an index run");
SS_COVERAGE_POINT(kCommitRolledBack, "an index commit failed and rolled back");
SS_COVERAGE_POINT(kCompactionKeptNewerRuns, "a compaction kept runs flushed while it merged");
SS_COVERAGE_POINT(kCompactionAbandoned, "a compaction found its inputs rewritten and gave up");

constexpr std::string_view kRunChunkKey = "lsm-run";
constexpr std::string_view kMetadataChunkKey = "lsm-metadata";

const IndexEntry* FindInRun(const RunEntries& entries, std::string_view key) {
  auto it = std::lower_bound(entries.begin(), entries.end(), key,
                             [](const auto& entry, std::string_view k) { return entry.first < k; });
  if (it == entries.end() || it->first != key) return nullptr;
  return &it->second;
}

}  // namespace

LsmIndex::LsmIndex(ChunkStore* chunks, const LsmOptions& options,
                   std::shared_ptr<internal::DriverLink> promise_link)
    : chunks_(chunks),
      options_(options),
      promise_link_(std::move(promise_link)),
      floors_(chunks->CurrentReplayFloors()) {
  SS_ASSERT(options.chunk_payload_bytes_max > 0);
}

LsmIndex::~LsmIndex() {
  const Status closed =
      Status::IOError("the store was closed before this change became persistent");
  if (memtable_promise_) memtable_promise_->MarkFailed(closed);
  for (const auto& promise : carried_promises_) promise->MarkFailed(closed);
  if (flushing_) {
    for (const auto& promise : flushing_->promises) promise->MarkFailed(closed);
  }
}

Status LsmIndex::Recover(const std::optional<Locator>& root) {
  root_ = root;
  if (!root) return Status::Ok();
  if (chunks_->owner(root->extent) != ExtentOwner::kMetadata) {
    return Status::Corruption("the index root " + root->ToString() +
                              " is not in a metadata extent");
  }
  SS_ASSIGN_OR_RETURN(ChunkStore::Chunk chunk, chunks_->Read(*root));
  if (chunk.header.kind != ChunkKind::kIndexMetadata || chunk.key != kMetadataChunkKey) {
    return Status::Corruption("the index root " + root->ToString() + " is not index metadata");
  }
  SS_ASSIGN_OR_RETURN(LsmMetadata metadata, DecodeLsmMetadata(chunk.payload));
  if (chunk.header.sequence != metadata.version) {
    return Status::Corruption("index metadata version " + std::to_string(metadata.version) +
                              " sits in a chunk of sequence " +
                              std::to_string(chunk.header.sequence));
  }
  metadata_version_ = metadata.version;
  next_run_id_ = metadata.next_run_id;
  for (RunDescriptor& descriptor : metadata.runs) {
    SS_ASSIGN_OR_RETURN(Bytes payload, ReadRunPayload(descriptor));
    StatusOr<RunEntries> entries = DecodeRun(payload);
    if (!entries.ok()) return entries.status().WithContext("run " + std::to_string(descriptor.id));
    if (entries->size() != descriptor.entry_count) {
      return Status::Corruption("run " + std::to_string(descriptor.id) + " holds " +
                                std::to_string(entries->size()) + " entries, metadata says " +
                                std::to_string(descriptor.entry_count));
    }
    runs_.push_back(Run{std::move(descriptor), std::move(entries).value()});
    SS_COVER(kRecoveredRun);
  }
  return Status::Ok();
}

StatusOr<Bytes> LsmIndex::ReadRunPayload(const RunDescriptor& run, bool use_cache) {
  Bytes payload;
  const uint32_t parts = static_cast<uint32_t>(run.chunks.size());
  for (uint32_t part = 0; part < parts; ++part) {
    if (chunks_->owner(run.chunks[part].extent) != ExtentOwner::kIndex) {
      return Status::Corruption("run " + std::to_string(run.id) + " has a chunk outside the " +
                                "index extents: " + run.chunks[part].ToString());
    }
    SS_ASSIGN_OR_RETURN(ChunkStore::Chunk chunk, use_cache
                                                     ? chunks_->Read(run.chunks[part])
                                                     : chunks_->ReadUncached(run.chunks[part]));
    if (chunk.header.kind != ChunkKind::kIndexRun || chunk.key != kRunChunkKey ||
        chunk.header.sequence != run.id || chunk.header.part_index != part ||
        chunk.header.part_count != parts) {
      return Status::Corruption("chunk at " + run.chunks[part].ToString() + " is not part " +
                                std::to_string(part) + " of run " + std::to_string(run.id));
    }
    payload.insert(payload.end(), chunk.payload.begin(), chunk.payload.end());
  }
  return payload;
}

const IndexEntry* LsmIndex::NewestInRuns(std::string_view key) const {
  for (const Run& run : runs_) {
    if (const IndexEntry* entry = FindInRun(run.entries, key)) return entry;
  }
  return nullptr;
}

namespace {

// The newest entry of `key` in `memtable` whose data has not failed, or null.
template <typename Memtable, typename MemEntry = typename Memtable::mapped_type::value_type>
const MemEntry* NewestIn(const Memtable& memtable, std::string_view key) {
  auto it = memtable.find(key);
  if (it == memtable.end()) return nullptr;
  // An entry whose write failed is as if it had never been made.
  for (auto mem = it->second.rbegin(); mem != it->second.rend(); ++mem) {
    if (!mem->data.Failed()) return &*mem;
  }
  return nullptr;
}

// About the bytes `entry` takes in a run: key length, key, sequence, tombstone flag, part count,
// and 12 bytes a locator.
uint64_t RunEntryBytes(std::string_view key, const IndexEntry& entry) {
  return 16 + key.size() + 16 * uint64_t{entry.parts.size()};
}

}  // namespace

const LsmIndex::MemEntry* LsmIndex::NewestInMemtable(std::string_view key) const {
  if (const MemEntry* mem = NewestIn(memtable_, key)) return mem;
  // The memtable being flushed is older than the memtable, newer than every run.
  return flushing_ ? NewestIn(flushing_->memtable, key) : nullptr;
}

std::optional<IndexEntry> LsmIndex::Lookup(std::string_view key) const {
  if (const MemEntry* mem = NewestInMemtable(key)) return mem->entry;
  if (const IndexEntry* entry = NewestInRuns(key)) return *entry;
  return std::nullopt;
}

Dependency LsmIndex::Insert(std::string key, IndexEntry entry, Dependency data) {
  if (!memtable_promise_) {
    memtable_promise_ = std::make_shared<internal::WriteNode>(next_promise_id_++, promise_link_);
  }
  const uint64_t entry_bytes = RunEntryBytes(key, entry);
  std::vector<MemEntry>& chain = memtable_[std::move(key)];
  if (chain.empty()) memtable_run_bytes_ += entry_bytes;
  chain.push_back(MemEntry{std::move(entry), std::move(data)});
  // Entries below one whose data is already persistent can never be fallen back to.
  for (size_t i = chain.size(); i-- > 0;) {
    if (chain[i].data.IsPersistent()) {
      chain.erase(chain.begin(), chain.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
  }
  return DependencyAccess::Of(memtable_promise_);
}

bool LsmIndex::IsLiveChunk(std::string_view key, uint64_t sequence, uint32_t part,
                           const Locator& locator) const {
  auto names = [&](const IndexEntry& entry) {
    return !entry.tombstone && entry.sequence == sequence && part < entry.parts.size() &&
           entry.parts[part] == locator;
  };
  // Newest first: the memtable, the memtable being flushed, the runs. An older layer is fallen
  // back to only if every entry of the newer ones fails; one whose data is already persistent
  // (a tombstone has none) never will.
  for (const auto* layer : {&memtable_, flushing_ ? &flushing_->memtable : nullptr}) {
    if (layer == nullptr) continue;
    const auto it = layer->find(key);
    if (it == layer->end()) continue;
    for (const MemEntry& mem : it->second) {
      if (names(mem.entry)) return true;
    }
    if (std::any_of(it->second.begin(), it->second.end(),
                    [](const MemEntry& mem) { return mem.data.IsPersistent(); })) {
      return false;
    }
  }
  const IndexEntry* in_runs = NewestInRuns(key);
  return in_runs && names(*in_runs);
}

Dependency LsmIndex::MemtableData() const {
  Dependency data;
  for (const auto& [key, chain] : memtable_) {
    for (const MemEntry& mem : chain) data = data.And(mem.data);
  }
  return data;
}

void LsmIndex::Relocate(const std::string& key, uint64_t sequence, uint32_t part,
                        const Locator& from, const Locator& to, Dependency data) {
  // The run a flush in flight writes would name `from` after the copy's twin is dropped.
  SS_ASSERT_MSG(!flushing_, "reclamation ran while an index flush was in flight");
  auto names = [&](const IndexEntry& entry) {
    return !entry.tombstone && entry.sequence == sequence && part < entry.parts.size() &&
           entry.parts[part] == from;
  };
  auto it = memtable_.find(key);
  if (it != memtable_.end()) {
    std::vector<MemEntry>& chain = it->second;
    for (size_t i = 0; i < chain.size(); ++i) {
      if (!names(chain[i].entry)) continue;
      // A copy just above the original: if the copy's write fails, the flush falls back to the
      // original, which still names intact bytes (and reclamation keeps their extent).
      MemEntry moved{chain[i].entry, chain[i].data.And(data)};
      moved.entry.parts[part] = to;
      chain.insert(chain.begin() + static_cast<std::ptrdiff_t>(i) + 1, std::move(moved));
      ++i;
    }
  }
  // The newest run entry may be needed again if every memtable entry fails: give it a
  // relocated copy at the bottom of the chain, below everything newer.
  const IndexEntry* in_runs = NewestInRuns(key);
  if (in_runs && names(*in_runs)) {
    IndexEntry moved = *in_runs;
    moved.parts[part] = to;
    SS_COVER(kRelocatedRunEntry);
    if (!memtable_promise_) {
      memtable_promise_ = std::make_shared<internal::WriteNode>(next_promise_id_++, promise_link_);
    }
    std::vector<MemEntry>& chain = memtable_[key];
    if (chain.empty()) memtable_run_bytes_ += RunEntryBytes(key, moved);
    chain.insert(chain.begin(), MemEntry{std::move(moved), std::move(data)});
  }
}

bool LsmIndex::ShouldCompact() const {
  return std::count_if(runs_.begin(), runs_.end(), [](const Run& r) {
           return r.descriptor.level == 0;
         }) > static_cast<long>(options_.level0_runs_max);
}

StatusOr<std::vector<Locator>> LsmIndex::WriteRunChunks(uint64_t run_id, ByteView payload,
                                                        Dependency* written) {
  const size_t piece_bytes = options_.chunk_payload_bytes_max;
  const size_t pieces = std::max<size_t>(1, (payload.size() + piece_bytes - 1) / piece_bytes);
  if (pieces > kRunChunksMax) return Status::NoSpace("an index run too large for its chunk limit");
  std::vector<Locator> locators;
  for (size_t i = 0; i < pieces; ++i) {
    ChunkHeader header;
    header.kind = ChunkKind::kIndexRun;
    header.sequence = run_id;
    header.part_index = static_cast<uint32_t>(i);
    header.part_count = static_cast<uint32_t>(pieces);
    const size_t begin = i * piece_bytes;
    const ByteView piece = payload.subspan(begin, std::min(piece_bytes, payload.size() - begin));
    SS_ASSIGN_OR_RETURN(
        ChunkStore::Appended appended,
        chunks_->Append(ExtentOwner::kIndex, header, kRunChunkKey, piece, Dependency()));
    locators.push_back(appended.locator);
    // Only the bytes: the superblock naming the new root covers this chunk's extent too.
    *written = written->And(appended.written);
  }
  return locators;
}

StatusOr<LsmIndex::StagedRoot> LsmIndex::StageRuns(const std::vector<Run>& runs, Dependency after,
                                                   ReplayFloors floors) {
  if (runs.size() > kRunsMax) {
    return Status::NoSpace("the index would have " + std::to_string(runs.size()) +
                           " runs; the limit is " + std::to_string(kRunsMax) + " (compact it)");
  }
  LsmMetadata metadata;
  metadata.version = metadata_version_ + 1;
  metadata.next_run_id = next_run_id_;
  for (const Run& run : runs) metadata.runs.push_back(run.descriptor);
  const Bytes payload = EncodeLsmMetadata(metadata);
  if (payload.size() > options_.chunk_payload_bytes_max) {
    return Status::NoSpace("index metadata of " + std::to_string(payload.size()) +
                           " bytes exceeds one chunk; compact the index");
  }
  ChunkHeader header;
  header.kind = ChunkKind::kIndexMetadata;
  header.sequence = metadata.version;
  // The metadata goes out beside the runs (one flush for both, not one each): it is not read
  // before a superblock names it, and the superblock naming it waits for both to be durable.
  SS_ASSIGN_OR_RETURN(
      ChunkStore::Appended appended,
      chunks_->Append(ExtentOwner::kMetadata, header, kMetadataChunkKey, payload, Dependency()));
  const Dependency committed =
      chunks_->SetIndexRoot(appended.locator, floors, after.And(appended.written));
  metadata_version_ = metadata.version;
  return StagedRoot{appended.locator, std::move(floors),
                    after.And(appended.dependency).And(committed)};
}

Status LsmIndex::AdoptRuns(std::vector<Run> runs, const StagedRoot& staged, Status waited) {
  // Nothing is adopted until it is durable: a failure leaves the previous runs and root.
  if (!waited.ok()) {
    // The new root may already sit in a superblock whose write failed; name the previous root
    // again so that no later superblock makes the abandoned one durable.
    chunks_->SetIndexRoot(root_, floors_, Dependency());
    SS_COVER(kCommitRolledBack);
    return waited;
  }
  runs_ = std::move(runs);
  root_ = staged.root;
  floors_ = staged.floors;
  return Status::Ok();
}

Status LsmIndex::CommitRuns(std::vector<Run> runs, Dependency after, ReplayFloors floors) {
  // A flush in flight has staged a root listing the runs as they were; this one would hide it.
  SS_ASSERT_MSG(!flushing_, "an index commit while an index flush was in flight");
  SS_ASSIGN_OR_RETURN(StagedRoot staged, StageRuns(runs, std::move(after), std::move(floors)));
  return AdoptRuns(std::move(runs), staged, staged.durable.Wait());
}

Status LsmIndex::Flush() {
  if (memtable_.empty()) return Status::Ok();
  Dependency data = BeginFlush();
  // Every entry's data must be final — durable or failed — before choosing: an entry whose
  // write is still pending could fail after the run that names it is durable.
  data.Settle().IgnoreError();  // failures are looked at entry by entry in WriteFlush
  StatusOr<Dependency> durable = WriteFlush();
  return FinishFlush(durable.ok() ? durable->Wait() : durable.status());
}

Dependency LsmIndex::BeginFlush() {
  SS_ASSERT(!flushing_);
  // Constructed from a temporary: clang judges a nested struct with member initialisers not
  // default-constructible for std::optional::emplace() (its traits are fixed while LsmIndex is
  // still incomplete).
  Flushing& flushing = flushing_.emplace(Flushing{});
  // Every data chunk appended so far has its entry in this memtable (or is garbage, its Put
  // failed): once this flush's run is durable, recovery need not replay below here. Chunks
  // appended from now on lie above these floors.
  flushing.floors = chunks_->SnapshotReplayFloors();
  flushing.memtable = std::move(memtable_);
  memtable_.clear();
  flushing.run_bytes = std::exchange(memtable_run_bytes_, 0);
  flushing.promises = std::move(carried_promises_);
  carried_promises_.clear();
  if (memtable_promise_) flushing.promises.push_back(std::move(memtable_promise_));
  memtable_promise_.reset();
  // The run must not point at data that never reached the disk: the data, to wait for.
  Dependency data;
  for (const auto& [key, chain] : flushing.memtable) {
    for (const MemEntry& mem : chain) data = data.And(mem.data);
  }
  return data;
}

StatusOr<Dependency> LsmIndex::WriteFlush() {
  SS_ASSERT(flushing_ && !flushing_->staged);
  Flushing& flushing = *flushing_;
  if (flushing.memtable.size() > kRunEntriesMax) {
    return Status::NoSpace("the memtable holds more entries than one run can");
  }
  // Per key, the newest entry whose data made it (the entries whose write failed are left out:
  // those Puts failed); a key with none keeps its run entry.
  RunEntries entries;
  entries.reserve(flushing.memtable.size());
  for (const auto& [key, chain] : flushing.memtable) {
    for (auto mem = chain.rbegin(); mem != chain.rend(); ++mem) {
      if (mem->data.Failed()) {
        SS_COVER(kFlushFellBack);
        continue;
      }
      if (!mem->data.IsPersistent()) {
        return Status::IOError("the data of an index entry for " + key + " cannot be settled");
      }
      entries.emplace_back(key, mem->entry);
      break;
    }
  }
  flushing.runs = runs_;
  Dependency run_written;
  if (!entries.empty()) {
    RunDescriptor descriptor;
    descriptor.id = next_run_id_++;
    descriptor.level = 0;
    descriptor.entry_count = static_cast<uint32_t>(entries.size());
    for (const auto& [key, entry] : entries) {
      descriptor.max_sequence = std::max(descriptor.max_sequence, entry.sequence);
    }
    SS_ASSIGN_OR_RETURN(descriptor.chunks,
                        WriteRunChunks(descriptor.id, EncodeRun(entries), &run_written));
    flushing.runs.insert(flushing.runs.begin(), Run{std::move(descriptor), std::move(entries)});
    SS_ASSIGN_OR_RETURN(flushing.staged, StageRuns(flushing.runs, run_written, flushing.floors));
    return flushing.staged->durable;
  }
  return Dependency();
}

Status LsmIndex::FinishFlush(Status waited) {
  SS_ASSERT(flushing_);
  Flushing flushing = std::move(*flushing_);
  flushing_.reset();
  if (flushing.staged) waited = AdoptRuns(std::move(flushing.runs), *flushing.staged, waited);
  if (waited.ok()) {
    if (flushing.staged) SS_COVER(kFlushWroteRun);
    for (const auto& promise : flushing.promises) promise->MarkDurable();
    return Status::Ok();
  }
  // The entries go back under the ones that came in meanwhile (they are older), for a later
  // flush; so do their promises.
  for (auto& [key, chain] : flushing.memtable) {
    auto [it, fresh] = memtable_.try_emplace(key);
    it->second.insert(it->second.begin(), std::make_move_iterator(chain.begin()),
                      std::make_move_iterator(chain.end()));
    if (fresh) memtable_run_bytes_ += RunEntryBytes(key, it->second.back().entry);
  }
  carried_promises_.insert(carried_promises_.end(), flushing.promises.begin(),
                           flushing.promises.end());
  return waited;
}

Status LsmIndex::Compact() {
  SS_ASSIGN_OR_RETURN(std::optional<CompactionPlan> plan, PlanCompaction());
  if (!plan) return Status::Ok();
  return InstallCompaction(*plan, Merge(*plan));
}

StatusOr<std::optional<LsmIndex::CompactionPlan>> LsmIndex::PlanCompaction() {
  SS_RETURN_IF_ERROR(Flush());
  if (runs_.empty() || (runs_.size() == 1 && runs_.front().descriptor.level == 1)) {
    return std::optional<CompactionPlan>();
  }
  return std::optional<CompactionPlan>(CompactionPlan{runs_, next_run_id_++});
}

RunEntries LsmIndex::Merge(const CompactionPlan& plan) {
  const std::vector<Run>& runs = plan.inputs;
  // Newest wins: walk runs newest first and keep the first entry seen per key.
  std::map<std::string, IndexEntry> merged;
  for (size_t i = 0; i < runs.size(); ++i) {
    const Run& run = runs[SS_SEEDED_BUG(kCompactionKeepsOldestEntry) ? runs.size() - 1 - i : i];
    for (const auto& [key, entry] : run.entries) {
      if (!merged.emplace(key, entry).second) SS_COVER(kCompactionDroppedOverwritten);
    }
  }
  RunEntries entries;
  for (auto& [key, entry] : merged) {
    // Every run older than the merged ones takes part, so nothing lies below a tombstone.
    if (entry.tombstone) {
      SS_COVER(kCompactionDroppedTombstone);
      continue;
    }
    entries.emplace_back(key, std::move(entry));
  }
  return entries;
}

Status LsmIndex::InstallCompaction(const CompactionPlan& plan, RunEntries entries) {
  // Only flushes may have changed the runs since the plan: they add runs above its inputs.
  const std::vector<Run>& inputs = plan.inputs;
  size_t newer = runs_.size() - std::min(runs_.size(), inputs.size());
  const bool intact =
      runs_.size() >= inputs.size() &&
      std::equal(inputs.begin(), inputs.end(), runs_.begin() + static_cast<std::ptrdiff_t>(newer),
                 [](const Run& a, const Run& b) { return a.descriptor == b.descriptor; });
  if (SS_SEEDED_BUG(kCompactionDropsRunsFlushedMeanwhile)) {
    newer = 0;
  } else if (!intact) {
    SS_COVER(kCompactionAbandoned);
    return Status::Ok();
  }
  if (newer > 0) SS_COVER(kCompactionKeptNewerRuns);
  if (entries.size() > kRunEntriesMax) {
    return Status::NoSpace("a compacted run of " + std::to_string(entries.size()) +
                           " entries exceeds the run limit");
  }
  std::vector<Run> runs(runs_.begin(), runs_.begin() + static_cast<std::ptrdiff_t>(newer));
  Dependency run_written;
  if (!entries.empty()) {
    RunDescriptor descriptor;
    descriptor.id = plan.run_id;
    descriptor.level = 1;
    descriptor.entry_count = static_cast<uint32_t>(entries.size());
    for (const auto& [key, entry] : entries) {
      descriptor.max_sequence = std::max(descriptor.max_sequence, entry.sequence);
    }
    SS_ASSIGN_OR_RETURN(descriptor.chunks,
                        WriteRunChunks(descriptor.id, EncodeRun(entries), &run_written));
    runs.push_back(Run{std::move(descriptor), std::move(entries)});
  }
  // The merged run holds nothing the inputs did not: the replay floors stay where they were, so
  // entries that came in while the merge ran (still only in the memtable) are still replayed.
  const bool flush_next = SS_SEEDED_BUG(kCompactionPromisesBeforeFlushing) && !memtable_.empty();
  const bool floors_now = SS_SEEDED_BUG(kCompactionSettlesMemtablePromise) || flush_next;
  SS_RETURN_IF_ERROR(CommitRuns(std::move(runs), run_written,
                                floors_now ? chunks_->SnapshotReplayFloors() : floors_));
  // What came in during the merge goes into a run at once; the floors moved first.
  if (flush_next) return Flush();
  return Status::Ok();
}

Status LsmIndex::Rebuild(RunEntries entries, uint64_t next_run_id, uint64_t metadata_version) {
  SS_ASSERT(memtable_.empty() && runs_.empty());
  // The previous root, unread: if the rebuild fails, CommitRuns names it again.
  root_ = chunks_->index_root();
  next_run_id_ = std::max(next_run_id_, next_run_id);
  metadata_version_ = std::max(metadata_version_, metadata_version);
  if (entries.size() > kRunEntriesMax) {
    return Status::NoSpace("a rebuilt index of " + std::to_string(entries.size()) +
                           " entries exceeds the run limit");
  }
  std::vector<Run> rebuilt;
  Dependency written;
  if (!entries.empty()) {
    RunDescriptor run;
    run.id = next_run_id_++;
    run.entry_count = static_cast<uint32_t>(entries.size());
    for (const auto& [key, entry] : entries) {
      run.max_sequence = std::max(run.max_sequence, entry.sequence);
    }
    SS_ASSIGN_OR_RETURN(run.chunks, WriteRunChunks(run.id, EncodeRun(entries), &written));
    rebuilt.push_back(Run{std::move(run), std::move(entries)});
  }
  // The entries are every chunk a scan of the whole disk found: nothing is left to replay.
  return CommitRuns(std::move(rebuilt), written, chunks_->SnapshotReplayFloors());
}

LsmIndex::KeyVersions LsmIndex::NewestInRunsByKey() const {
  std::map<std::string_view, KeyVersion> newest;
  for (const Run& run : runs_) {  // newest first: the first seen wins
    for (const auto& [key, entry] : run.entries) {
      newest.emplace(key, KeyVersion{entry.sequence, entry.tombstone});
    }
  }
  KeyVersions out;
  out.reserve(newest.size());
  for (const auto& [key, version] : newest) out.emplace_back(std::string(key), version);
  return out;
}

LsmIndex::KeyVersions LsmIndex::NewestInMemtableByKey() const {
  std::map<std::string_view, const MemEntry*> newest;
  for (const auto& [key, chain] : memtable_) {
    if (const MemEntry* mem = NewestInMemtable(key)) newest.emplace(key, mem);
  }
  if (flushing_) {
    for (const auto& [key, chain] : flushing_->memtable) {
      if (const MemEntry* mem = NewestInMemtable(key)) newest.emplace(key, mem);
    }
  }
  KeyVersions out;
  out.reserve(newest.size());
  for (const auto& [key, mem] : newest) {
    out.emplace_back(std::string(key), KeyVersion{mem->entry.sequence, mem->entry.tombstone});
  }
  return out;
}

Status LsmIndex::SettlePromise(const internal::WriteNode& node) {
  SS_ASSERT(!flushing_);
  const bool carried = std::any_of(carried_promises_.begin(), carried_promises_.end(),
                                   [&](const auto& promise) { return promise.get() == &node; });
  if (memtable_promise_.get() == &node || carried) return Flush();
  return Status::Ok();
}

void LsmIndex::ForEachLive(
    const std::function<void(const std::string&, const IndexEntry&)>& fn) const {
  std::map<std::string, const IndexEntry*> newest;
  for (const auto& [key, chain] : memtable_) {
    if (const MemEntry* mem = NewestInMemtable(key)) newest.emplace(key, &mem->entry);
  }
  if (flushing_) {
    for (const auto& [key, chain] : flushing_->memtable) {
      if (const MemEntry* mem = NewestInMemtable(key)) newest.emplace(key, &mem->entry);
    }
  }
  for (const Run& run : runs_) {
    for (const auto& [key, entry] : run.entries) newest.emplace(key, &entry);
  }
  for (const auto& [key, entry] : newest) {
    if (!entry->tombstone) fn(key, *entry);
  }
}

bool LsmIndex::IsLiveRunChunk(const Locator& locator) const {
  for (const Run& run : runs_) {
    const auto& chunks = run.descriptor.chunks;
    if (std::find(chunks.begin(), chunks.end(), locator) != chunks.end()) return true;
  }
  return false;
}

Status LsmIndex::VerifyStored() {
  if (!root_) {
    if (!runs_.empty()) return Status::Corruption("the index holds runs but has no root");
    return Status::Ok();
  }
  SS_ASSIGN_OR_RETURN(ChunkStore::Chunk chunk, chunks_->ReadUncached(*root_));
  if (chunk.header.kind != ChunkKind::kIndexMetadata || chunk.key != kMetadataChunkKey) {
    return Status::Corruption("the index root " + root_->ToString() + " is not index metadata");
  }
  SS_ASSIGN_OR_RETURN(LsmMetadata metadata, DecodeLsmMetadata(chunk.payload));
  if (metadata.runs.size() != runs_.size()) {
    return Status::Corruption("the stored index lists " + std::to_string(metadata.runs.size()) +
                              " runs, memory holds " + std::to_string(runs_.size()));
  }
  for (size_t i = 0; i < runs_.size(); ++i) {
    if (!(metadata.runs[i] == runs_[i].descriptor)) {
      return Status::Corruption("stored run " + std::to_string(metadata.runs[i].id) +
                                " differs from the one in memory");
    }
    SS_ASSIGN_OR_RETURN(Bytes payload, ReadRunPayload(runs_[i].descriptor, /*use_cache=*/false));
    SS_ASSIGN_OR_RETURN(RunEntries entries, DecodeRun(payload));
    if (entries != runs_[i].entries) {
      return Status::Corruption("stored entries of run " + std::to_string(runs_[i].descriptor.id) +
                                " differ from the ones in memory");
    }
  }
  return Status::Ok();
}

std::vector<Locator> LsmIndex::LiveRunChunks() const {
  std::vector<Locator> chunks;
  for (const Run& run : runs_) {
    chunks.insert(chunks.end(), run.descriptor.chunks.begin(), run.descriptor.chunks.end());
  }
  return chunks;
}

std::map<uint32_t, uint64_t> LsmIndex::IndexLiveBytes() const {
  std::map<uint32_t, uint64_t> live;
  for (const Run& run : runs_) {
    for (const Locator& l : run.descriptor.chunks) live[l.extent] += l.length;
  }
  if (root_) live[root_->extent] += root_->length;
  return live;
}

uint64_t LsmIndex::index_live_bytes() const {
  uint64_t bytes = root_ ? root_->length : 0;
  for (const Run& run : runs_) {
    for (const Locator& l : run.descriptor.chunks) bytes += l.length;
  }
  return bytes;
}

Status LsmIndex::EvacuateIndexExtent(uint32_t extent) {
  std::vector<Run> runs;
  Dependency written;
  bool moved = false;
  for (const Run& old : runs_) {
    Run run = old;
    auto& chunks = run.descriptor.chunks;
    if (std::any_of(chunks.begin(), chunks.end(),
                    [&](const Locator& l) { return l.extent == extent; })) {
      // Rewrite the whole run: its chunks share a sequence and a part count.
      StatusOr<Bytes> payload = ReadRunPayload(run.descriptor);
      if (!payload.ok() && SS_SEEDED_BUG(kReclaimForgetsUnreadableRun)) {
        moved = true;  // as if it had been moved: the run is left out of the new metadata
        continue;
      }
      SS_RETURN_IF_ERROR(payload.status());
      SS_ASSIGN_OR_RETURN(chunks, WriteRunChunks(run.descriptor.id, *payload, &written));
      SS_COVER(kEvacuatedRun);
      moved = true;
    }
    runs.push_back(std::move(run));
  }
  if (!moved && !(root_ && root_->extent == extent)) return Status::Ok();
  SS_COVER(kMovedMetadata);
  return CommitRuns(std::move(runs), written, floors_);
}

std::vector<LsmIndex::LevelStat> LsmIndex::Levels() const {
  std::map<uint32_t, LevelStat> levels;
  for (const Run& run : runs_) {
    LevelStat& stat = levels[run.descriptor.level];
    stat.level = run.descriptor.level;
    ++stat.runs;
    stat.entries += run.entries.size();
  }
  std::vector<LevelStat> out;
  for (const auto& [level, stat] : levels) out.push_back(stat);
  return out;
}

}  // namespace shardstore
