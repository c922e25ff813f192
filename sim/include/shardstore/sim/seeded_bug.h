// Seeded bugs: named faults the engine compiles in only in a checked build (the build option
// SHARDSTORE_SEEDED_BUGS, on in the `release` and `debug` presets, off in `production`), each off
// until a checker turns it on.
//
// They exist to prove the checkers: every checker must find the seeded bugs of its class and
// stay silent when none is on. A site in the engine reads
//
//   if (SS_SEEDED_BUG(kCacheNotDrainedAfterReset)) ...
//
// (the engine's src/hooks/seeded_bug_site.h), the constant `false` in a production build. Each
// bug is one line at its site (a few where a concurrency bug reorders a protocol). This registry
// is part of the simulation library, so tools can list the bugs and say whether the build has
// them; the product never links it.
//
// Thread-safety: the active bug is a process-wide atomic; set it before starting a run.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace shardstore::seeded {

enum class Bug : uint8_t {
  kNone = 0,
  // functional
  kReclaimScanOffByOne,
  kCacheNotDrainedAfterReset,
  kResetNotPersistedAtShutdown,
  kReclaimForgetsUnreadableRun,
  kValueSplitDropsLastByte,
  kCompactionKeepsOldestEntry,
  // crash
  kPutAcknowledgedBeforeIndex,
  kDeleteAcknowledgedBeforeTombstone,
  kResetBeforeIndexDurable,
  kAppendAcknowledgedBeforeWritePointer,
  kSuperblockRecordsSoftWritePointer,
  kChunkTrailerVouchesForBody,
  kReplayKeepsFirstVersionScanned,
  kReplayIgnoresTombstones,
  kTailChainIgnoresLinks,
  kDataExtentRecordedBeforeFirstFrame,
  kChainResumesAtPersistedPointer,
  kChainDropsFrameFillingExtent,
  // concurrency
  kGetReadsChunksUnlocked,
  kReadOverlaysQueueAfterDiskRead,
  kGetReservesReadBufferPerPart,
  kListSnapshotsRunsAndMemtableApart,
  kCompactionDropsRunsFlushedMeanwhile,
  // crash-concurrency: a power cut while threads race
  kCompactionSettlesMemtablePromise,
  kCommitListedBeforeWritten,
  kResetMissesWritesBeingFlushed,
  kCommitOvertakesFlushInFlight,
  kCompactionPromisesBeforeFlushing,
  kFloorLeavesLastWritePackable,
  // availability: data stays right, the store does work without end
  kReclaimCopiesNearlyFullExtents,
};

// kCrashConcurrency: a bug only a power cut during a race shows — a Dependency reported
// persistent, or a superblock made durable, ahead of what is on the disk, on a path only a second
// thread opens. Sequential runs never take it, and without a crash nothing observable is wrong.
// kAvailability: every answer stays right, but the store spends its disk bandwidth on work that
// gains nothing (copying without end); only a bound on that work finds it.
enum class BugClass : uint8_t {
  kFunctional,
  kCrash,
  kConcurrency,
  kCrashConcurrency,
  kAvailability
};

struct BugInfo {
  Bug bug;
  std::string_view name;    // snake_case, as `shardcheck --bug` takes it
  std::string_view symbol;  // the enumerator, for generated code: "kCacheNotDrainedAfterReset"
  BugClass bug_class;
  std::string_view description;
};

// Every seeded bug, in declaration order (kNone excluded).
std::span<const BugInfo> AllBugs();
std::optional<BugInfo> FindBug(std::string_view name);
// The bug's name as `shardcheck --bug` takes it; "" for kNone.
std::string_view BugName(Bug bug);
std::string_view BugClassName(BugClass bug_class);

// True when this build was configured with SHARDSTORE_SEEDED_BUGS=ON.
bool CompiledIn();

// The bug that SS_SEEDED_BUG sites see as on (kNone: none). REQUIRES: CompiledIn() or kNone.
void SetActive(Bug bug);

namespace detail {
// The switch itself: inline, so the engine's sites read it without linking this library.
inline std::atomic<Bug> active{Bug::kNone};
}  // namespace detail

inline Bug Active() { return detail::active.load(std::memory_order_relaxed); }

// Turns a bug on for a scope and restores the previous one after.
class Scope {
 public:
  explicit Scope(Bug bug) : previous_(Active()) { SetActive(bug); }
  ~Scope() { SetActive(previous_); }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  Bug previous_;
};

}  // namespace shardstore::seeded
