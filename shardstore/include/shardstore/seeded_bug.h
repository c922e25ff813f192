// Seeded bugs: named faults compiled into the engine only when the build option
// SHARDSTORE_SEEDED_BUGS is ON, each off until a checker turns it on.
//
// They exist to prove the checkers: every checker must find the seeded bugs of its class and
// stay silent when none is on. A site in the engine reads
//
//   if (SS_SEEDED_BUG(kCacheNotDrainedAfterReset)) ...
//
// which is the constant `false` in a build without the option, so production code pays nothing.
// Each bug is one line at its site (a few where a concurrency bug reorders a protocol). The
// registry below is compiled in every build so that tools can list the bugs and say whether this
// build has them.
//
// Thread-safety: the active bug is a process-wide atomic; set it before starting a run.
#pragma once

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
};

// kCrashConcurrency: a bug only a power cut during a race shows — a Dependency reported
// persistent, or a superblock made durable, ahead of what is on the disk, on a path only a second
// thread opens. Sequential runs never take it, and without a crash nothing observable is wrong.
enum class BugClass : uint8_t { kFunctional, kCrash, kConcurrency, kCrashConcurrency };

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
Bug Active();

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

#if defined(SHARDSTORE_SEEDED_BUGS) && SHARDSTORE_SEEDED_BUGS
#define SS_SEEDED_BUG(name) (::shardstore::seeded::Active() == ::shardstore::seeded::Bug::name)
#else
// The name is still checked, so a site cannot rot in builds without the option.
#define SS_SEEDED_BUG(name) (static_cast<void>(::shardstore::seeded::Bug::name), false)
#endif
