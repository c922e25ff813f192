// CrashExplorer: at each disk flush of a run, recovers from the states a power cut there could
// leave and checks each one, without disturbing the run.
//
// A harness installs it as the MemDisk's barrier observer. At every flush it receives a copy of
// the disk (durable image plus pending pages) and builds crash plans: every subset of the pending
// pages when few are pending, fewest surviving pages first so the first failing plan is minimal,
// then each page torn at its first and last sector boundary and inside its first sector (sectors
// need not be atomic); a seeded sample otherwise, a quarter of its torn pages torn inside a
// sector. The harness's Check recovers its component on a copy with the plan applied and says
// whether what came back is allowed. The first failing plan is shrunk further (pages dropped while
// it still fails) and kept, with the DirtyReboot op that replays it during the step.
//
// Thread-safety: not thread-safe; one per harness.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "shardstore/checker/op.h"
#include "shardstore/sim/mem_disk.h"

namespace shardstore::checker {

// How the crash explorer enumerates the states a power cut at one disk flush can leave.
struct CrashExploration {
  uint32_t exhaustive_pages_max = 10;  // every subset up to this many pending pages
  uint32_t sampled_states = 48;        // states per crash point past that
};

// Cuts `disk`'s power as the DirtyReboot `op` says: now, during `flush_everything` (the
// component's full flush), or armed for a later flush. Returns true when it is only armed.
bool CutPowerAsOp(MemDisk& disk, const Op& op, const std::function<void()>& flush_everything);

class CrashExplorer {
 public:
  // Recovers the component from `disk`, a crash state, and checks it: nullopt when allowed.
  using Check = std::function<std::optional<std::string>(MemDisk* disk)>;

  explicit CrashExplorer(CrashExploration config) : config_(config) {}

  // A step of the sequence begins: flushes are numbered from 1 again.
  void BeginStep();
  // A disk flush is about to happen on the disk `snapshot` copies. Does nothing once a
  // violation was found.
  void AtBarrier(std::unique_ptr<MemDisk> snapshot, const Check& check);

  uint64_t states() const { return states_; }
  // The first violation found, described with its flush and plan.
  const std::optional<std::string>& violation() const { return violation_; }
  // The op that reproduces it without exploration, to run just before the step that failed.
  const std::optional<Op>& repro() const { return repro_; }

 private:
  const CrashExploration config_;
  uint64_t step_ = 0;
  uint32_t barrier_in_step_ = 0;
  uint64_t states_ = 0;
  std::optional<std::string> violation_;
  std::optional<Op> repro_;
};

}  // namespace shardstore::checker
