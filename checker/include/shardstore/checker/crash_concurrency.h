// Crash-concurrency harnesses: concurrent clients under the deterministic scheduler, a power cut
// at a scheduling point the strategy chooses, recovery, and clients going on after it — the
// whole history, crash included, checked for linearizability with crash semantics
// (docs/crash-concurrency.md).
//
// A run has two phases on one MemDisk:
//
//   1. setup steps (alone), then the program's threads, and beside them a crasher thread
//      (started last: fiber n + 1 for n threads, as CrashControl::crasher says, so a
//      depth-first search's first schedules run the clients before it). When the scheduler
//      first runs the crasher, the
//      power is cut there: in one indivisible step (no scheduling point inside) the crasher asks
//      every acknowledged write whether its Dependency is persistent (those that are, and those a
//      client's Wait() already reported persistent, are marked so in the history), copies the
//      disk (durable image and pending pages), and closes the history with a crash event. From
//      then on the threads start no new operation, and nothing they do is recorded: an
//      operation in flight at the cut stays open (it took effect before the cut or never). They
//      run the call they are in to its end against the old store and disk, which nobody looks
//      at again (a real power cut leaves no engine running against a dead disk, so neither
//      does this harness).
//   2. the crash plan is applied to the copy (which pending pages survive, whole or torn at a
//      sector boundary: MemDisk::CrashPlan), the component is recovered from it, every key (or
//      locator) is read back and the recovered component verified, then the program's
//      after-threads run on it concurrently. Last: a final read of everything, the history
//      checked, a clean shutdown, a reopen, and one more read of everything.
//
// Workloads:
//   clients          (store) three clients put (some waiting for durability), get, delete and
//                    list on three keys while a maintenance thread flushes, compacts and reclaims;
//   reclaim-compact  (store) reclamation ‖ compaction ‖ a client that puts, waits, then gets ‖
//                    two readers, over keys already in the index runs;
//   chunk-writers    (chunk store) writers append chunks to extents of their own (some waiting
//                    for durability) and rewind them (Reset), a flusher drives the IO scheduler,
//                    readers read any chunk appended so far. A chunk's locator is a register:
//                    an append writes the chunk there, a reset writes absence to every locator
//                    of its extent, a read reads it (an error that says the chunk is not there —
//                    Corruption — reads as absence).
//
// A case — the operations (setup, threads, after-threads), the schedule and the crash plan —
// replays from one token (EncodeJointToken). Searching, the plan is drawn at the cut from
// `CrashControl::plan_seed`; replaying, it is the case's.
//
// Failures: an engine assertion or a broken operation contract (kAssertion); recovery that
// fails, or a recovered store that does not verify, or a history that is not linearizable once
// a crash is in it (kCrashConsistency); a history that is not linearizable without the crash
// mattering (kLinearizability); deadlocks and livelocks as the scheduler finds them.
//
// Thread-safety: a body builds its own disk and component on every call; a CrashControl is
// shared by the body and the search that runs it (one run at a time).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shardstore/checker/concurrency_check.h"
#include "shardstore/checker/history.h"
#include "shardstore/sim/mem_disk.h"
#include "shardstore/sim/seeded_bug.h"
#include "shardstore/status.h"

namespace shardstore::checker {

enum class JointWorkload : uint8_t { kClients, kReclaimCompact, kChunkWriters };

std::span<const JointWorkload> AllJointWorkloads();
std::string_view JointWorkloadName(JointWorkload workload);
std::optional<JointWorkload> FindJointWorkload(std::string_view name);

// No crasher (yet): CrashControl::crasher before the body starts it.
inline constexpr FiberId kNoCrasher = ~FiberId{0} >> 1;

// One client operation. Store workloads: P(key, bytes) put, W(key, bytes) put and wait for its
// Dependency, G(key) get, D(key) delete, L list, F flush, C compact, R reclaim. Chunk workload:
// A(lane, n) append n chunks to the lane's extent, V(lane, n) the same and wait for them, Q(i)
// read the i-th locator appended (modulo how many), X(lane) reset the extent of the lane's last
// append, F flush. A lane is appended to and reset by one thread only.
struct JointStep {
  char action = 'G';
  uint32_t a = 0;
  uint32_t b = 0;
  friend bool operator==(const JointStep&, const JointStep&) = default;
};
using JointScript = std::vector<JointStep>;

struct JointProgram {
  JointScript setup;                 // alone, before the threads
  std::vector<JointScript> threads;  // until the power cut
  std::vector<JointScript> after;    // after recovery
  size_t steps() const;
  friend bool operator==(const JointProgram&, const JointProgram&) = default;
};

// The program a workload runs, drawn from `seed`.
JointProgram MakeJointProgram(JointWorkload workload, uint64_t seed);

struct JointCase {
  JointWorkload workload = JointWorkload::kClients;
  seeded::Bug bug = seeded::Bug::kNone;
  JointProgram program;
  std::optional<MemDisk::CrashPlan> plan;  // nullopt: drawn at the cut
  std::string schedule;                    // "sched1:..."; empty: none yet
};

// "sx1:<workload>:<bug or ->:<program>:<keep mask hex>.<torn page>.<torn sectors>:<schedule>".
// The program is "<setup>;<thread>;...|<after-thread>;...", steps separated by '.', each a
// letter and its numbers ("P0,4000"). REQUIRES: plan set.
std::string EncodeJointToken(const JointCase& c);
inline constexpr std::string_view kJointTokenPrefix = "sx1:";
// InvalidArgument naming the part that does not parse.
StatusOr<JointCase> ParseJointToken(std::string_view token);

// Shared by a body and the strategy that runs it.
struct CrashControl {
  uint64_t plan_seed = 0;     // draws the crash plan when the case has none
  bool keep_history = false;  // copy the run's history into `history` (replays that print it)
  // Filled by the body: the crasher's fiber once started, then what the cut met.
  FiberId crasher = kNoCrasher;
  bool cut = false;
  MemDisk::CrashPlan plan;
  uint32_t pending_pages = 0;   // at the cut
  std::vector<MemDisk::PendingPage> pending;  // those pages, oldest first (a report's strip)
  uint32_t ops_before_cut = 0;  // client operations begun before it
  History history;              // with keep_history: the run's, as far as it got
};

// The kept pages of `plan` among `pending` pending pages (a torn page counts as kept).
uint32_t KeptPages(const MemDisk::CrashPlan& plan, uint32_t pending);
std::string DescribePlan(const MemDisk::CrashPlan& plan, uint32_t pending);

// The body of one case. REQUIRES: `control` outlives every run of the body. The case's seeded
// bug is not turned on here (the caller's seeded::Scope does that).
Body JointBody(const JointCase& c, CrashControl* control);

}  // namespace shardstore::checker
