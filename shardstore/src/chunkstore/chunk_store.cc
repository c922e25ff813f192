#include "chunkstore/chunk_store.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "hooks/coverage_site.h"
#include "hooks/seeded_bug_site.h"
#include "io/dependency_access.h"
#include "shardstore/limits.h"
#include "util/coding.h"

namespace shardstore {
namespace {

SS_COVERAGE_POINT(kReadFromCache, "read served from the read cache");
SS_COVERAGE_POINT(kReadFromQueue, "read served from writes still queued");
SS_COVERAGE_POINT(kScanFoundDamagedFrame, "scan found a damaged frame");
SS_COVERAGE_POINT(kRecoveryUsedOneSlot, "recovery found only one valid superblock slot");
SS_COVERAGE_POINT(kRecoveryUpgradedLabel, "a writable open upgraded an older format's label");
SS_COVERAGE_POINT(kRecoveryFoundChunksPastPointer,
                  "recovery found durable chunks past a data extent's persisted write pointer");
SS_COVERAGE_POINT(kRecoverySealedUnresumableExtent,
                  "recovery sealed a data extent whose chain cannot be resumed");
SS_COVERAGE_POINT(kAppendOpenedDataExtent, "an append opened a data extent (its first frame)");
SS_COVERAGE_POINT(kAppendKeyAtLimit, "append framed a key of exactly kKeyBytesMax bytes");
SS_COVERAGE_POINT(kAppendRefused,
                  "append refused a key past kKeyBytesMax or a frame past an extent");

Superblock FreshSuperblock(const Label& label) {
  Superblock sb;
  sb.disk_uuid = label.disk_uuid;
  sb.geometry = label.geometry;
  sb.extents.resize(label.geometry.extent_count);
  sb.extents[0].owner = ExtentOwner::kSuperblock;
  return sb;
}

Status ReadLabel(Disk* disk, Label* label) {
  Bytes page(kPageBytes);
  SS_RETURN_IF_ERROR(disk->Read(0, 0, page).WithContext("reading the label"));
  SS_ASSIGN_OR_RETURN(*label, DecodeLabel(page));
  return Status::Ok();
}

}  // namespace

Status ChunkStore::Format(Disk* disk, uint64_t seed) {
  const DiskGeometry geometry = disk->geometry();
  SS_RETURN_IF_ERROR(ValidateGeometry(geometry));
  SS_RETURN_IF_ERROR(CheckSuperblockFits(geometry));
  Random random(seed);
  Label label{geometry, random.Uuid()};
  SS_RETURN_IF_ERROR(disk->Write(0, 0, EncodeLabel(label)));
  // Both slots get a valid superblock so no stale slot from an earlier life of the disk can win.
  Superblock sb = FreshSuperblock(label);
  for (int slot : {1, 0}) {
    sb.sequence = slot == 1 ? 1 : 2;
    SS_RETURN_IF_ERROR(
        disk->Write(0, SuperblockSlotOffset(geometry.extent_count, slot), EncodeSuperblock(sb)));
  }
  return disk->Flush();
}

StatusOr<std::unique_ptr<ChunkStore>> ChunkStore::Open(const ChunkStoreOptions& options) {
  Disk* disk = options.disk;
  SS_ASSERT_MSG(disk != nullptr, "ChunkStoreOptions.disk is required");
  const DiskGeometry geometry = disk->geometry();
  SS_RETURN_IF_ERROR(ValidateGeometry(geometry));
  SS_RETURN_IF_ERROR(CheckSuperblockFits(geometry));

  if (options.read_only && options.format_if_blank) {
    return Status::InvalidArgument("a read-only open cannot format the disk");
  }
  Label label;
  Status status = ReadLabel(disk, &label);
  if (status.IsNotFound() && options.format_if_blank) {
    SS_RETURN_IF_ERROR(Format(disk, options.seed));
    status = ReadLabel(disk, &label);
  }
  if (status.IsNotFound()) return Status::InvalidArgument(status.message());
  SS_RETURN_IF_ERROR(status);
  if (!(label.geometry == geometry)) {
    return Status::InvalidArgument(
        "the disk was formatted with " + std::to_string(label.geometry.extent_count) +
        " extents of " + std::to_string(label.geometry.extent_bytes) + " bytes but opened as " +
        std::to_string(geometry.extent_count) + " extents of " +
        std::to_string(geometry.extent_bytes) + " bytes");
  }

  std::optional<Superblock> newest;
  int newest_slot = 0;
  std::string failures;
  const uint32_t slot_bytes = SuperblockSlotBytes(geometry.extent_count);
  for (int slot : {0, 1}) {
    Bytes bytes(slot_bytes);
    // A slot that cannot be read may hold the newest superblock: recovering from the other one
    // would silently roll the store back. Only a slot that reads but does not verify (a torn
    // write) is passed over.
    SS_RETURN_IF_ERROR(disk->Read(0, SuperblockSlotOffset(geometry.extent_count, slot), bytes)
                           .WithContext("reading superblock slot " + std::to_string(slot)));
    StatusOr<Superblock> decoded = DecodeSuperblock(bytes, label);
    if (!decoded.ok()) {
      SS_COVER(kRecoveryUsedOneSlot);
      failures += " slot " + std::to_string(slot) + ": " + decoded.status().ToString() + ";";
      continue;
    }
    if (!newest || decoded->sequence > newest->sequence) {
      newest = std::move(decoded).value();
      newest_slot = slot;
    }
  }
  if (!newest) return Status::Corruption("no valid superblock:" + failures);
  // A data extent's durable chunks run on past its persisted write pointer, along its chain.
  // (A version 1 or 2 disk acknowledged nothing past it, and its frames carry no links.)
  std::vector<ChainEnd> chains(geometry.extent_count);
  for (uint32_t e = 1; e < geometry.extent_count; ++e) {
    const ExtentRecord& record = newest->extents[e];
    chains[e].end = record.write_pointer;
    if (record.owner != ExtentOwner::kData || record.write_pointer == 0) continue;
    SS_ASSIGN_OR_RETURN(chains[e], FollowChain(disk, e, record.write_pointer));
    // Flushed by the boot commit, which follows a chain that passed its pointer.
    if (!options.read_only) {
      SS_RETURN_IF_ERROR(
          ClearPastChainEnd(disk, e, chains[e].end)
              .WithContext("clearing past extent " + std::to_string(e) + "'s chain end"));
    }
  }
  std::unique_ptr<ChunkStore> store(
      new ChunkStore(disk, label, *newest, newest_slot, chains, options));
  if (!options.read_only) SS_RETURN_IF_ERROR(store->BootCommit());
  return store;
}

Status ChunkStore::BootCommit() {
  sync::LockGuard lock(mu_);
  if (label_.version < kDiskFormatVersion) {
    // This build writes superblocks an older build cannot read: say so in the label first, so
    // that such a build refuses the disk instead of falling back to an older superblock slot.
    Label upgraded = label_;
    upgraded.version = kDiskFormatVersion;
    SS_RETURN_IF_ERROR(
        disk_->Write(0, 0, EncodeLabel(upgraded)).WithContext("upgrading the label"));
    SS_RETURN_IF_ERROR(disk_->Flush().WithContext("upgrading the label"));
    SS_COVER(kRecoveryUpgradedLabel);
  }
  // The chains' frames past the persisted pointers were read back, which does not make them
  // durable: a process that died may have left them in a volatile cache. Flush before the boot
  // commit records them as the extents' write pointers.
  if (chains_past_pointers_) {
    SS_RETURN_IF_ERROR(disk_->Flush().WithContext("flushing the recovered chains"));
  }
  const Dependency boot = scheduler_.RequestCommit(Dependency());
  SS_RETURN_IF_ERROR(scheduler_.DriveAll());
  if (!boot.IsPersistent()) {
    return Status::IOError(
        "cannot write the superblock at open: " +
        (boot.Failed() ? DependencyAccess::Nodes(boot)[0]->error.ToString() : "no progress"));
  }
  // This boot's sequence number is durable and unique, so UUIDs drawn from here on never repeat
  // those of an earlier boot from the same seed.
  random_.Mix(durable_superblock_sequence_);
  return Status::Ok();
}

ChunkStore::ChunkStore(Disk* disk, const Label& label, const Superblock& superblock,
                       int superblock_slot, const std::vector<ChainEnd>& chains,
                       const ChunkStoreOptions& options)
    : disk_(disk),
      label_(label),
      read_only_(options.read_only),
      table_(label.geometry),
      random_(options.seed),
      next_sequence_(superblock.next_chunk_sequence),
      index_root_(superblock.index_root),
      replay_from_(label.geometry.extent_count, 0),
      next_link_(label.geometry.extent_count, 0),
      durable_pointers_(label.geometry.extent_count, 0),
      produced_pointers_(label.geometry.extent_count, 0),
      durable_superblock_sequence_(superblock.sequence),
      durable_superblock_slot_(superblock_slot),
      cache_(options.read_cache_bytes),
      scheduler_(disk, &mu_) {
  sync::LockGuard lock(mu_);
  scheduler_.SetCommitSource(this);
  for (uint32_t e = 1; e < label.geometry.extent_count; ++e) {
    const ExtentRecord& record = superblock.extents[e];
    const ChainEnd& chain = chains[e];
    if (chain.end > record.write_pointer) {
      SS_COVER(kRecoveryFoundChunksPastPointer);
      chains_past_pointers_ = true;
    }
    table_.Restore(e, record.owner, chain.end);
    // Written up to the end of the last frame's page: the rest of it is the padding of the write.
    scheduler_.RestoreFrontier(
        e, static_cast<uint32_t>(coding::RoundUp(table_.write_pointer(e), kPageBytes)));
    replay_from_[e] = record.replay_from;
    durable_pointers_[e] = record.write_pointer;
    next_link_[e] =
        SS_SEEDED_BUG(kChainResumesAtPersistedPointer) ? chain.link_at_pointer : chain.next_link;
    if (!chain.resumable) {
      // Nothing appended here could be told from a stale frame after the next crash.
      SS_COVER(kRecoverySealedUnresumableExtent);
      table_.Seal(e);
    }
  }
}

ChunkStore::~ChunkStore() = default;

Status ChunkStore::CheckWritable() const {
  if (read_only_) return Status::InvalidArgument("the store is open read-only");
  return Status::Ok();
}

Dependency ChunkStore::RecordingCommit(std::map<uint32_t, Dependency>& commits, uint32_t extent) {
  auto it = commits.find(extent);
  if (it == commits.end()) return Dependency();
  if (it->second.IsPersistent()) {
    commits.erase(it);
    return Dependency();
  }
  // The superblock that was to record it failed; the next one records it as well (it writes the
  // table as it is then). Waiting on the failed one would fail every append here.
  if (it->second.Failed()) it->second = scheduler_.RequestCommit(Dependency());
  return it->second;
}

StatusOr<ChunkStore::Appended> ChunkStore::Append(ExtentOwner owner, ChunkHeader header,
                                                  std::string_view key, ByteView payload,
                                                  Dependency after, uint32_t keep_free_extents) {
  if (key.size() > kKeyBytesMax) {
    SS_COVER(kAppendRefused);
    return Status::InvalidArgument("key longer than kKeyBytesMax");
  }
  if (key.size() == kKeyBytesMax) SS_COVER(kAppendKeyAtLimit);
  if (payload.size() > kChunkPayloadBytesMax) {
    return Status::InvalidArgument("chunk payload longer than kChunkPayloadBytesMax");
  }
  const uint32_t frame_bytes =
      ChunkFrameBytes(static_cast<uint32_t>(key.size()), static_cast<uint32_t>(payload.size()));
  SS_RETURN_IF_ERROR(CheckWritable());
  sync::LockGuard lock(mu_);
  if (frame_bytes > table_.geometry().extent_bytes) {
    SS_COVER(kAppendRefused);
    return Status::InvalidArgument("a chunk of " + std::to_string(frame_bytes) +
                                   " bytes does not fit in an extent");
  }
  const bool data = owner == ExtentOwner::kData;
  // A small data frame that waits for nothing is packed behind the frame queued before it, when
  // that one is not issued yet: they share its last page and are written by one IO. (Index and
  // metadata frames are few, and are named by the superblock, which wants them page-aligned.)
  const bool pack = data && frame_bytes <= kPackFrameBytesMax && after.IsPersistent();
  Locator locator;
  bool packed = false;
  // An extent whose write failed has a hole; skip it (bounded: each pass seals one extent).
  for (uint32_t attempt = 0;; ++attempt) {
    SS_ASSERT(attempt <= table_.geometry().extent_count);
    const std::optional<uint32_t> open = table_.OpenExtent(owner);
    const uint32_t end = open ? table_.write_pointer(*open) : 0;
    // (The write packed into waits for the superblock recording the extent's reset already, if
    // that is not durable yet: it was queued after the reset.)
    packed = pack && open && scheduler_.CanPack(*open, end, frame_bytes);
    SS_ASSIGN_OR_RETURN(locator, table_.Reserve(owner, frame_bytes, keep_free_extents, packed));
    // Packed only where it was asked for: not when the frame went to a new extent.
    packed = packed && locator.extent == *open && locator.offset == end;
    if (!scheduler_.Poisoned(locator.extent)) break;
    table_.Seal(locator.extent);
  }
  header.uuid = random_.Uuid();
  const uint32_t extent = locator.extent;
  header.link = 0;
  if (data) {
    if (locator.offset != 0) header.link = next_link_[extent];
    next_link_[extent] = ChainLink(header.uuid);
  }
  Dependency input = after.And(RecordingCommit(reset_dependencies_, extent));
  PageBytes frame = EncodeChunk(header, key, payload);
  Dependency written;
  if (packed) {
    written = scheduler_.Pack(extent, locator.offset, ByteView(frame).first(frame_bytes));
  } else {
    written =
        scheduler_.Write(extent, locator.offset, std::move(frame), std::move(input), frame_bytes);
  }
  // A data chunk is found by following its extent's chain from the persisted write pointer, so
  // it needs no superblock of its own: only the one that records its extent as allocated, issued
  // once the first frame is durable (a superblock recording the extent with nothing durable in
  // it would have recovery take it for free). An index chunk is reached from the index root, so
  // its extent's persisted write pointer must cover it.
  Dependency recorded;
  if (!data) {
    recorded = scheduler_.RequestCommit(written);
  } else {
    if (locator.offset == 0) {
      SS_COVER(kAppendOpenedDataExtent);
      allocation_dependencies_[extent] = scheduler_.RequestCommit(
          SS_SEEDED_BUG(kDataExtentRecordedBeforeFirstFrame) ? Dependency() : written);
    }
    recorded = RecordingCommit(allocation_dependencies_, extent);
  }
  if (scheduler_.queued_bytes() > kQueuedBytesMax) {
    // Bound memory: drain now. Failures are reported through each write's Dependency.
    scheduler_.DriveAll().IgnoreError();
  }
  if (SS_SEEDED_BUG(kAppendAcknowledgedBeforeWritePointer))
    return Appended{locator, written, written};
  return Appended{locator, written.And(recorded), written};
}

uint64_t ChunkStore::ReadBytes(const Locator& locator) {
  return coding::RoundUp(locator.end(), kPageBytes) - coding::RoundDown(locator.offset, kPageBytes);
}

StatusOr<ChunkStore::FrameRef> ChunkStore::ReadChunk(const Locator& locator, bool use_cache) {
  sync::UniqueLock lock(mu_);
  const DiskGeometry g = table_.geometry();
  if (locator.extent == 0 || locator.extent >= g.extent_count || locator.length == 0 ||
      locator.offset % kFrameAlignBytes != 0 || locator.length % kFrameAlignBytes != 0) {
    return Status::Corruption("malformed locator " + locator.ToString());
  }
  if (table_.owner(locator.extent) == ExtentOwner::kFree ||
      locator.end() > table_.write_pointer(locator.extent)) {
    return Status::Corruption("locator " + locator.ToString() +
                              " lies past its extent's write pointer");
  }
  if (scheduler_.Poisoned(locator.extent) &&
      locator.end() > scheduler_.DurableFrontier(locator.extent)) {
    return Status::IOError("chunk at " + locator.ToString() +
                           " was never written (a write failed)");
  }
  if (FrameRef cached = use_cache ? cache_.Lookup(locator) : nullptr) {
    SS_COVER(kReadFromCache);
    return cached;
  }
  // Every byte is read over: no need to zero it first. Not a PageBytes: an O_DIRECT disk stages
  // the read through its own warm buffer, which measured faster for gets than reading into a
  // fresh page-aligned allocation (bench/README.md, multi_client).
  // The disk is read in whole pages: those the frame lies in (it may share them with others).
  const auto first_page = static_cast<uint32_t>(coding::RoundDown(locator.offset, kPageBytes));
  const auto pages_bytes = static_cast<uint32_t>(ReadBytes(locator));
  auto chunk = std::make_shared<CachedChunk>();
  chunk->frame = std::make_unique_for_overwrite<uint8_t[]>(pages_bytes);
  chunk->frame_bytes = pages_bytes;
  const MutableByteView pages(chunk->frame.get(), pages_bytes);
  const MutableByteView frame = pages.subspan(locator.offset - first_page, locator.length);
  const uint64_t resets = table_.resets(locator.extent);
  if (SS_SEEDED_BUG(kReadOverlaysQueueAfterDiskRead)) {
    // Optimistic: the disk first, then whatever is still queued laid over it.
    lock.unlock();
    const Status read = disk_->Read(locator.extent, first_page, pages);
    sync::IoCompleted(disk_);
    lock.lock();
    SS_RETURN_IF_ERROR(read);
    scheduler_.OverlayQueued(locator.extent, locator.offset, frame);
  } else if (scheduler_.OverlayQueued(locator.extent, locator.offset, frame)) {
    SS_COVER(kReadFromQueue);
  } else {
    // The disk is read without the lock. Bytes still queued or being written now are copied
    // first: a drive may write them meanwhile, and they are newer than what the disk holds there
    // (an older chunk, from before a reset). Everything else is on the disk already.
    const std::vector<PageWrite> queued =
        scheduler_.QueuedOverlapping(locator.extent, first_page, pages_bytes);
    lock.unlock();
    const Status read = disk_->Read(locator.extent, first_page, pages);
    sync::IoCompleted(disk_);
    for (const PageWrite& piece : queued) {
      std::memcpy(pages.data() + (piece.offset - first_page), piece.bytes.data(),
                  piece.bytes.size());
    }
    lock.lock();
    SS_RETURN_IF_ERROR(read);
    if (table_.resets(locator.extent) != resets) {
      return Status::Corruption("extent " + std::to_string(locator.extent) +
                                " was reset while chunk " + locator.ToString() + " was read");
    }
  }
  // The frame is this read's own: verify it (a checksum over every byte) without the lock.
  lock.unlock();
  SS_ASSIGN_OR_RETURN(chunk->view, DecodeChunk(frame));
  if (chunk->view.header.frame_bytes() != locator.length) {
    return Status::Corruption("chunk at " + locator.ToString() + " has a frame of " +
                              std::to_string(chunk->view.header.frame_bytes()) + " bytes");
  }
  if (use_cache) {
    lock.lock();
    // A reset since the read makes the locator name other bytes: serve this read (it happened
    // before the reset) but cache nothing.
    if (table_.resets(locator.extent) == resets) cache_.Insert(locator, chunk);
  }
  return FrameRef(std::move(chunk));
}

StatusOr<ChunkStore::Chunk> ChunkStore::CopyOut(StatusOr<FrameRef> frame) {
  SS_RETURN_IF_ERROR(frame.status());
  const ChunkView& view = (*frame)->view;
  return Chunk{view.header, std::string(view.key), Bytes(view.payload.begin(), view.payload.end())};
}

Status ChunkStore::Scan(uint32_t extent, const ScanVisitor& visit, const DamagedVisitor& damaged,
                        uint32_t from) {
  sync::UniqueLock lock(mu_);
  SS_ASSERT(extent > 0 && extent < table_.geometry().extent_count);
  SS_ASSERT(from % kFrameAlignBytes == 0);
  if (scheduler_.HasUnsettledWrites(extent)) SS_RETURN_IF_ERROR(scheduler_.DriveAll());
  // After a failed write, bytes past the durable frontier may never have been written.
  const uint32_t write_pointer =
      scheduler_.Poisoned(extent)
          ? std::min(table_.write_pointer(extent), scheduler_.DurableFrontier(extent))
          : table_.write_pointer(extent);
  const uint64_t resets = table_.resets(extent);
  lock.unlock();
  // The pages the frames lie in: the disk is read in whole pages.
  const auto pages_end = static_cast<uint32_t>(coding::RoundUp(write_pointer, kPageBytes));
  // Read over whole, so never zeroed first.
  std::unique_ptr<uint8_t[]> buffer;
  uint32_t buffer_bytes = 0;
  MutableByteView window;
  uint32_t window_at = 0;
  // Makes [offset, offset + bytes) available in `window`; returns a view of it. The disk is read
  // without the lock, as ReadChunk reads it: appends elsewhere go on meanwhile, and bytes still
  // queued for this extent are laid over what the disk returned.
  auto fetch = [&](uint32_t offset, uint32_t bytes, ByteView* view) -> Status {
    if (offset < window_at || uint64_t{offset} + bytes > uint64_t{window_at} + window.size()) {
      const auto at = static_cast<uint32_t>(coding::RoundDown(offset, kPageBytes));
      const auto end = static_cast<uint32_t>(
          std::max<uint64_t>(coding::RoundUp(uint64_t{offset} + bytes, kPageBytes),
                             std::min<uint64_t>(uint64_t{at} + kScanWindowBytes, pages_end)));
      const uint32_t window_bytes = end - at;
      if (window_bytes > buffer_bytes) {
        buffer = std::make_unique_for_overwrite<uint8_t[]>(window_bytes);
        buffer_bytes = window_bytes;
      }
      window_at = at;
      window = MutableByteView(buffer.get(), window_bytes);
      lock.lock();
      const std::vector<PageWrite> queued = scheduler_.QueuedOverlapping(extent, at, window_bytes);
      lock.unlock();
      const Status read = disk_->Read(extent, at, window);
      sync::IoCompleted(disk_);
      for (const PageWrite& piece : queued) {
        std::memcpy(window.data() + (piece.offset - at), piece.bytes.data(), piece.bytes.size());
      }
      SS_RETURN_IF_ERROR(read);
      lock.lock();
      const bool reset = table_.resets(extent) != resets;
      lock.unlock();
      // The caller keeps the extent from being reset while it scans (reclamation does); a reset
      // anyway would make the rest of the window other bytes.
      if (reset) {
        return Status::Corruption("extent " + std::to_string(extent) + " was reset during a scan");
      }
    }
    *view = ByteView(window).subspan(offset - window_at, bytes);
    return Status::Ok();
  };
  uint32_t offset = from;
  while (offset < write_pointer) {
    ByteView head;  // a page's worth: a header and its key always fit
    SS_RETURN_IF_ERROR(fetch(offset, std::min(kPageBytes, write_pointer - offset), &head));
    StatusOr<ChunkHeader> header = DecodeChunkHeader(head);
    if (header.ok() && uint64_t{offset} + header->frame_bytes() <= write_pointer) {
      const uint32_t frame_bytes = header->frame_bytes();
      ByteView frame;
      SS_RETURN_IF_ERROR(fetch(offset, frame_bytes, &frame));
      const Locator locator{extent, offset, frame_bytes};
      StatusOr<ChunkView> chunk = DecodeChunk(frame);
      if (chunk.ok()) {
        visit(locator, *chunk);
      } else if (damaged) {
        SS_COVER(kScanFoundDamagedFrame);
        damaged(locator, *header, ChunkKey(frame, *header), chunk.status());
      }
      // The header's checksum held, so its length is trusted even when the body is damaged;
      // stepping over the whole frame keeps frames nested inside a payload from being seen.
      offset += SS_SEEDED_BUG(kReclaimScanOffByOne)
                    ? ChunkFrameBytes(header->key_bytes, header->payload_bytes + 1)
                    : frame_bytes;
      continue;
    }
    offset = NextFrameCandidate(offset, head);
  }
  return Status::Ok();
}

ExtentOwner ChunkStore::owner(uint32_t extent) const {
  sync::LockGuard lock(mu_);
  return table_.owner(extent);
}

StatusOr<Dependency> ChunkStore::Reset(uint32_t extent) {
  SS_RETURN_IF_ERROR(CheckWritable());
  sync::LockGuard lock(mu_);
  SS_ASSERT(extent > 0 && extent < table_.geometry().extent_count);
  if (scheduler_.HasUnsettledWrites(extent)) {
    const Status drive = scheduler_.DriveAll();
    if (scheduler_.HasUnsettledWrites(extent)) {
      return Status::IOError("extent " + std::to_string(extent) +
                             " has writes that cannot settle: " + drive.ToString());
    }
  }
  scheduler_.ResetExtent(extent);
  table_.Reset(extent);
  allocation_dependencies_.erase(extent);  // its next life is recorded by a commit of its own
  // Whatever the extent holds next comes after every index flush so far.
  replay_from_[extent] = 0;
  // Its locators now name nothing, or new chunks.
  if (!SS_SEEDED_BUG(kCacheNotDrainedAfterReset)) cache_.DropExtent(extent);
  Dependency recorded = SS_SEEDED_BUG(kResetNotPersistedAtShutdown)
                            ? Dependency()
                            : scheduler_.RequestCommit(Dependency());
  reset_dependencies_[extent] = recorded;
  return recorded;
}

Dependency ChunkStore::SetIndexRoot(const std::optional<Locator>& root, ReplayFloors floors,
                                    Dependency after) {
  SS_ASSERT_MSG(!read_only_, "SetIndexRoot on a read-only ChunkStore");
  sync::LockGuard lock(mu_);
  SS_ASSERT(!root || table_.owner(root->extent) == ExtentOwner::kMetadata);
  pending_roots_.push_back({root, std::move(floors), after});
  return scheduler_.RequestCommit(std::move(after));
}

ReplayFloors ChunkStore::SnapshotReplayFloors() {
  sync::LockGuard lock(mu_);
  ReplayFloors floors;
  for (uint32_t e = 1; e < table_.geometry().extent_count; ++e) {
    if (table_.owner(e) == ExtentOwner::kData && table_.write_pointer(e) > 0) {
      // Floors are kept in whole pages: no frame may be packed into the page a floor rounds up
      // past (it would lie below the floor, yet not be in the index the floor goes with).
      if (!SS_SEEDED_BUG(kFloorLeavesLastWritePackable)) scheduler_.EndPacking(e);
      floors.push_back({e,
                        static_cast<uint32_t>(coding::RoundUp(table_.write_pointer(e), kPageBytes)),
                        table_.resets(e)});
    }
  }
  return floors;
}

ReplayFloors ChunkStore::CurrentReplayFloors() const {
  sync::LockGuard lock(mu_);
  if (!pending_roots_.empty()) return pending_roots_.back().floors;
  ReplayFloors floors;
  for (uint32_t e = 1; e < table_.geometry().extent_count; ++e) {
    if (replay_from_[e] > 0) floors.push_back({e, replay_from_[e], table_.resets(e)});
  }
  return floors;
}

uint32_t ChunkStore::replay_from(uint32_t extent) const {
  sync::LockGuard lock(mu_);
  return std::min(replay_from_.at(extent), table_.write_pointer(extent));
}

std::optional<Locator> ChunkStore::index_root() const {
  sync::LockGuard lock(mu_);
  return pending_roots_.empty() ? index_root_ : pending_roots_.back().root;
}

void ChunkStore::Seal(uint32_t extent) {
  sync::LockGuard lock(mu_);
  table_.Seal(extent);
}

uint32_t ChunkStore::free_extents() const {
  sync::LockGuard lock(mu_);
  return table_.free_count();
}

bool ChunkStore::IsOpen(uint32_t extent) const {
  sync::LockGuard lock(mu_);
  return table_.IsOpen(extent);
}

uint64_t ChunkStore::NextSequence() {
  sync::LockGuard lock(mu_);
  return next_sequence_++;
}

void ChunkStore::SequenceAbove(uint64_t sequence) {
  sync::LockGuard lock(mu_);
  next_sequence_ = std::max(next_sequence_, sequence + 1);
}

Status ChunkStore::Flush() {
  sync::LockGuard lock(mu_);
  SS_RETURN_IF_ERROR(scheduler_.DriveAll());
  if (!scheduler_.Idle()) return Status::IOError("writes are stuck: they wait on another store");
  const uint64_t failed = scheduler_.stats().writes_failed;
  if (failed != failed_writes_reported_) {
    const uint64_t fresh = failed - failed_writes_reported_;
    failed_writes_reported_ = failed;
    return Status::IOError(std::to_string(fresh) +
                           " writes failed since the last flush; their Dependencies say why");
  }
  // Data chunks are persistent without a superblock, but one recording the pointers past them
  // keeps recovery's walk short, and keeps a chunk damaged later on the medium inside its
  // extent's pointer, where it reads as Corruption rather than ending the chain before it.
  if (read_only_) return Status::Ok();
  // Only data extents' pointers: every other change (an index chunk, a reset) requested a
  // superblock of its own.
  bool behind = false;
  for (uint32_t e = 1; e < table_.geometry().extent_count && !behind; ++e) {
    behind = table_.owner(e) == ExtentOwner::kData && RecordedPointer(e) != durable_pointers_[e];
  }
  if (!behind) return Status::Ok();
  const Dependency recorded = scheduler_.RequestCommit(Dependency());
  SS_RETURN_IF_ERROR(scheduler_.DriveAll());
  return recorded.IsPersistent() ? Status::Ok() : Status::IOError("the superblock write failed");
}

uint32_t ChunkStore::RecordedPointer(uint32_t extent) const {
  // Only the durable prefix: a crash must never expose a write pointer past unflushed bytes.
  // In whole pages: a write's padding ends its last page.
  if (table_.owner(extent) == ExtentOwner::kFree) return 0;
  const auto soft =
      static_cast<uint32_t>(coding::RoundUp(table_.write_pointer(extent), kPageBytes));
  if (SS_SEEDED_BUG(kSuperblockRecordsSoftWritePointer)) return soft;
  return std::min(scheduler_.DurableFrontier(extent), soft);
}

PageWrite ChunkStore::ProduceCommit() {
  const DiskGeometry g = table_.geometry();
  Superblock sb = FreshSuperblock(label_);
  sb.sequence = durable_superblock_sequence_ + 1;
  sb.next_chunk_sequence = next_sequence_;
  // Adopt the newest root whose metadata is persistent; a root whose metadata failed is dropped.
  while (!pending_roots_.empty()) {
    const PendingRoot& next = pending_roots_.front();
    const bool ready = next.after.IsPersistent();
    if (!ready && !next.after.Failed()) break;
    if (ready) {
      index_root_ = next.root;
      std::fill(replay_from_.begin(), replay_from_.end(), 0);
      for (const ReplayFloor& floor : next.floors) {
        if (floor.resets == table_.resets(floor.extent)) replay_from_[floor.extent] = floor.offset;
      }
    }
    pending_roots_.pop_front();
  }
  sb.index_root = index_root_;
  for (uint32_t e = 1; e < g.extent_count; ++e) {
    ExtentRecord& record = sb.extents[e];
    record.owner = table_.owner(e);
    record.write_pointer = RecordedPointer(e);
    record.replay_from = std::min(replay_from_[e], record.write_pointer);
    produced_pointers_[e] = record.write_pointer;
  }
  produced_superblock_sequence_ = sb.sequence;
  const int slot = 1 - durable_superblock_slot_;
  const Bytes page = EncodeSuperblock(sb);
  return PageWrite{0, SuperblockSlotOffset(g.extent_count, slot),
                   PageBytes(page.begin(), page.end())};
}

void ChunkStore::CommitSettled(bool durable) {
  if (!durable) return;  // the slot we wrote is suspect; the next commit rewrites the same slot
  durable_pointers_ = produced_pointers_;
  durable_superblock_sequence_ = produced_superblock_sequence_;
  durable_superblock_slot_ = 1 - durable_superblock_slot_;
}

void ChunkStore::DropReadCache() {
  sync::LockGuard lock(mu_);
  cache_.Clear();
}

std::vector<ChunkStore::ExtentInfo> ChunkStore::Extents() const {
  sync::LockGuard lock(mu_);
  std::vector<ExtentInfo> extents;
  for (uint32_t e = 0; e < table_.geometry().extent_count; ++e) {
    extents.push_back({table_.owner(e),
                       static_cast<uint32_t>(coding::RoundUp(table_.write_pointer(e), kPageBytes)),
                       table_.resets(e)});
  }
  return extents;
}

std::vector<uint32_t> ChunkStore::ExtentsOwnedBy(ExtentOwner owner) const {
  sync::LockGuard lock(mu_);
  std::vector<uint32_t> extents;
  for (uint32_t e = 0; e < table_.geometry().extent_count; ++e) {
    if (table_.owner(e) == owner) extents.push_back(e);
  }
  return extents;
}

uint64_t ChunkStore::superblock_sequence() const {
  sync::LockGuard lock(mu_);
  return durable_superblock_sequence_;
}

IoScheduler::Stats ChunkStore::io_stats() const {
  sync::LockGuard lock(mu_);
  return scheduler_.stats();
}

}  // namespace shardstore
