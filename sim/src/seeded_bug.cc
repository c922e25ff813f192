#include "shardstore/sim/seeded_bug.h"

#include <array>
#include <atomic>

#include "shardstore/assert.h"

namespace shardstore::seeded {
namespace {

constexpr std::array kBugs = {
    BugInfo{Bug::kReclaimScanOffByOne, "reclaim_scan_off_by_one", "kReclaimScanOffByOne",
            BugClass::kFunctional,
            "reclamation's scan steps one page too far past a chunk whose frame is an exact "
            "number of pages, missing the chunk after it"},
    BugInfo{Bug::kCacheNotDrainedAfterReset, "cache_not_drained_after_reset",
            "kCacheNotDrainedAfterReset", BugClass::kFunctional,
            "resetting an extent keeps its chunks in the read cache, so a new chunk at a reused "
            "locator reads back as the old one"},
    BugInfo{Bug::kResetNotPersistedAtShutdown, "reset_not_persisted_at_shutdown",
            "kResetNotPersistedAtShutdown", BugClass::kFunctional,
            "a reset does not request its superblock update, so a clean shutdown right after "
            "it leaves stale extent metadata on disk"},
    BugInfo{Bug::kReclaimForgetsUnreadableRun, "reclaim_forgets_unreadable_run",
            "kReclaimForgetsUnreadableRun", BugClass::kFunctional,
            "evacuating an index extent drops a run whose chunks failed to read (a transient "
            "error), forgetting every key it held"},
    BugInfo{Bug::kValueSplitDropsLastByte, "value_split_drops_last_byte",
            "kValueSplitDropsLastByte", BugClass::kFunctional,
            "splitting a value into chunks rounds the part count down when the value is one "
            "byte past a multiple of the chunk limit, dropping that byte"},
    BugInfo{Bug::kCompactionKeepsOldestEntry, "compaction_keeps_oldest_entry",
            "kCompactionKeepsOldestEntry", BugClass::kFunctional,
            "compaction merges runs oldest first, so a key overwritten across runs gets its "
            "old value back"},
    BugInfo{Bug::kPutAcknowledgedBeforeIndex, "put_acknowledged_before_index",
            "kPutAcknowledgedBeforeIndex", BugClass::kCrash,
            "a Put's Dependency covers its chunks' bytes but not the superblock that records "
            "their extents as the store's (recovery follows only the extents it owns), so a "
            "crash can lose a Put reported persistent"},
    BugInfo{Bug::kDeleteAcknowledgedBeforeTombstone, "delete_acknowledged_before_tombstone",
            "kDeleteAcknowledgedBeforeTombstone", BugClass::kCrash,
            "a Delete reports persistent at once, before its tombstone is durable, so a crash "
            "brings the value back"},
    BugInfo{Bug::kResetBeforeIndexDurable, "reset_before_index_durable", "kResetBeforeIndexDurable",
            BugClass::kCrash,
            "reclamation resets an extent once its live chunks are copied, before the index "
            "naming the copies is durable: a crash leaves the index pointing into a free extent"},
    BugInfo{Bug::kAppendAcknowledgedBeforeWritePointer, "append_acknowledged_before_write_pointer",
            "kAppendAcknowledgedBeforeWritePointer", BugClass::kCrash,
            "an append's Dependency waits for the chunk's bytes but not for the superblock that "
            "records its extent (a data extent's allocation; an index extent's write pointer): "
            "a crash leaves an acknowledged chunk in an extent recovery does not read that far"},
    BugInfo{Bug::kSuperblockRecordsSoftWritePointer, "superblock_records_soft_write_pointer",
            "kSuperblockRecordsSoftWritePointer", BugClass::kCrash,
            "the superblock records each extent's soft write pointer (appends not yet durable) "
            "instead of the durable one: after a crash while a reset extent is reused, chunks "
            "from before the reset resurface"},
    BugInfo{Bug::kChunkTrailerVouchesForBody, "chunk_trailer_vouches_for_body",
            "kChunkTrailerVouchesForBody", BugClass::kCrash,
            "the chunk decoder takes a trailer that repeats the header's UUID as proof the whole "
            "frame is intact and skips the body checksum: a torn or bit-flipped chunk is "
            "returned as data"},
    BugInfo{Bug::kReplayKeepsFirstVersionScanned, "replay_keeps_first_version_scanned",
            "kReplayKeepsFirstVersionScanned", BugClass::kCrash,
            "recovery replays, per key, the first version its scan of the extents' tails meets "
            "rather than the newest sequence: a key put twice since the last index flush comes "
            "back with its older value"},
    BugInfo{Bug::kReplayIgnoresTombstones, "replay_ignores_tombstones", "kReplayIgnoresTombstones",
            BugClass::kCrash,
            "recovery replays the data chunks past the replay floors but passes over tombstone "
            "chunks: a Delete reported persistent before the next index flush is undone by a "
            "crash, and the value comes back"},
    BugInfo{Bug::kTailChainIgnoresLinks, "tail_chain_ignores_links", "kTailChainIgnoresLinks",
            BugClass::kCrash,
            "recovery follows every whole frame past a data extent's persisted write pointer "
            "without checking that it links to the one before: frames a crash left behind a torn "
            "one, or an earlier life of the extent left, come back as Puts and Deletes"},
    BugInfo{Bug::kDataExtentRecordedBeforeFirstFrame, "data_extent_recorded_before_first_frame",
            "kDataExtentRecordedBeforeFirstFrame", BugClass::kCrash,
            "the superblock that records a newly opened data extent is issued without waiting for "
            "the extent's first frame, so it records the extent with nothing durable in it, "
            "which recovery takes for a free extent: Puts acknowledged there are lost"},
    BugInfo{Bug::kChainResumesAtPersistedPointer, "chain_resumes_at_persisted_pointer",
            "kChainResumesAtPersistedPointer", BugClass::kCrash,
            "after recovery follows a data extent's chain past its persisted write pointer, the "
            "next frame is linked as if it followed the pointer rather than the chain's end: "
            "Puts acknowledged after the reboot are unreachable, and a second crash loses them"},
    BugInfo{Bug::kChainDropsFrameFillingExtent, "chain_drops_frame_filling_extent",
            "kChainDropsFrameFillingExtent", BugClass::kCrash,
            "recovery's walk of a data extent's chain wants room after each frame (an off-by-one): "
            "a frame that fills the extent to its last byte is left off, and the Put it belongs "
            "to is lost"},
    BugInfo{Bug::kGetReadsChunksUnlocked, "get_reads_chunks_unlocked", "kGetReadsChunksUnlocked",
            BugClass::kConcurrency,
            "Get looks the key up under the store lock but reads its chunks after releasing it "
            "(a missing lock): a reclamation in between moves them and resets the extent"},
    BugInfo{Bug::kReadOverlaysQueueAfterDiskRead, "read_overlays_queue_after_disk_read",
            "kReadOverlaysQueueAfterDiskRead", BugClass::kConcurrency,
            "a chunk read goes to the disk without the lock first, then lays over it the writes "
            "still queued: a drive in between issues the chunk's write, which is then in "
            "neither place it looked, and a fresh locator reads as garbage (a write/flush race)"},
    BugInfo{Bug::kGetReservesReadBufferPerPart, "get_reserves_read_buffer_per_part",
            "kGetReservesReadBufferPerPart", BugClass::kConcurrency,
            "Get reserves read-buffer room one chunk at a time while holding what it has: two "
            "Gets of multi-chunk values each hold part of the pool and wait for the rest (a "
            "pool-exhaustion deadlock)"},
    BugInfo{Bug::kListSnapshotsRunsAndMemtableApart, "list_snapshots_runs_and_memtable_apart",
            "kListSnapshotsRunsAndMemtableApart", BugClass::kConcurrency,
            "List copies the index runs and the memtable under two lock holds: a flush in "
            "between moves a Delete's tombstone into a run it did not copy, and List returns the "
            "deleted key (list racing delete)"},
    BugInfo{Bug::kCompactionDropsRunsFlushedMeanwhile, "compaction_drops_runs_flushed_meanwhile",
            "kCompactionDropsRunsFlushedMeanwhile", BugClass::kConcurrency,
            "compaction merges without the store lock, then installs its result as the whole "
            "index: runs flushed meanwhile, such as a reclamation's relocations, are lost "
            "(reclamation racing compaction loses index entries)"},
    BugInfo{Bug::kCompactionSettlesMemtablePromise, "compaction_settles_memtable_promise",
            "kCompactionSettlesMemtablePromise", BugClass::kCrashConcurrency,
            "a compaction installs its merged run with the replay floors moved up to the write "
            "pointers of now, as if the memtable were still the one it flushed when it planned: "
            "Puts made while the merge ran without the store lock fall below the floors while "
            "their index entries are only in memory, so a crash loses Puts reported persistent "
            "(a flush racing a put)"},
    BugInfo{Bug::kCommitListedBeforeWritten, "commit_listed_before_written",
            "kCommitListedBeforeWritten", BugClass::kCrashConcurrency,
            "the IO scheduler lists a group commit as issued, then writes its superblock with the "
            "lock released: a flush another thread makes meanwhile marks the commit durable "
            "though the superblock reaches the disk after it (appends acknowledged before the "
            "write that covers them)"},
    BugInfo{Bug::kResetMissesWritesBeingFlushed, "reset_misses_writes_being_flushed",
            "kResetMissesWritesBeingFlushed", BugClass::kCrashConcurrency,
            "a reset's check for unsettled writes of its extent skips the writes under another "
            "thread's flush in flight: the extent is rewound while that flush completes, which "
            "then moves the durable frontier back over the old writes, so a superblock records a "
            "write pointer past new chunks not yet written and a crash brings back chunks from "
            "before the reset (a reset racing a flush)"},
    BugInfo{Bug::kCommitOvertakesFlushInFlight, "commit_overtakes_flush_in_flight",
            "kCommitOvertakesFlushInFlight", BugClass::kCrashConcurrency,
            "the IO scheduler pipelines commits: it counts the writes under a flush in flight as "
            "durable from the moment that flush starts, so a driver that finds it in flight "
            "writes a superblock covering them meanwhile; that superblock may reach the disk "
            "before the data it points at (a missing dependency on a flush racing a put)"},
    BugInfo{Bug::kCompactionPromisesBeforeFlushing, "compaction_promises_before_flushing",
            "kCompactionPromisesBeforeFlushing", BugClass::kCrashConcurrency,
            "a compaction flushes the index entries that came in while its merge ran without "
            "the store lock (Puts, relocations), but installs its merged run with the replay "
            "floors of that flush, before making it: for the length of the flush those Puts lie "
            "below the floors with their entries only in memory (a promise kept before the "
            "write it promises)"},
    BugInfo{Bug::kFloorLeavesLastWritePackable, "floor_leaves_last_write_packable",
            "kFloorLeavesLastWritePackable", BugClass::kCrashConcurrency,
            "an index flush takes the replay floors (rounded up to a page) but leaves the write "
            "queued last open to packing: a Put made meanwhile is packed into the page below its "
            "extent's floor while its entry is only in the next memtable, so once the flush's "
            "superblock is durable a crash loses a Put reported persistent (a put racing a flush)"},
    BugInfo{Bug::kReclaimCopiesNearlyFullExtents, "reclaim_copies_nearly_full_extents",
            "kReclaimCopiesNearlyFullExtents", BugClass::kAvailability,
            "reclamation's worthwhile-share check is dropped: an extent is worth reclaiming if "
            "it frees a single byte, so a disk nearly full of live data evacuates extents that "
            "are almost all live, one after another, on every Put (nothing is lost; the disk's "
            "bandwidth goes to copies)"},
};

}  // namespace

std::span<const BugInfo> AllBugs() { return kBugs; }

std::optional<BugInfo> FindBug(std::string_view name) {
  for (const BugInfo& info : kBugs) {
    if (info.name == name) return info;
  }
  return std::nullopt;
}

std::string_view BugName(Bug bug) {
  for (const BugInfo& info : kBugs) {
    if (info.bug == bug) return info.name;
  }
  return "";
}

std::string_view BugClassName(BugClass bug_class) {
  switch (bug_class) {
    case BugClass::kFunctional:
      return "functional";
    case BugClass::kCrash:
      return "crash";
    case BugClass::kConcurrency:
      return "concurrency";
    case BugClass::kCrashConcurrency:
      return "crash-concurrency";
    case BugClass::kAvailability:
      return "availability";
  }
  return "unknown";
}

bool CompiledIn() {
#if defined(SHARDSTORE_SEEDED_BUGS) && SHARDSTORE_SEEDED_BUGS
  return true;
#else
  return false;
#endif
}

void SetActive(Bug bug) {
  SS_ASSERT_MSG(bug == Bug::kNone || CompiledIn(),
                "this build has no seeded bugs (configure with -DSHARDSTORE_SEEDED_BUGS=ON)");
  detail::active.store(bug, std::memory_order_relaxed);
}

}  // namespace shardstore::seeded
