// Searching crash-concurrency harnesses (crash_concurrency.h): where the power is cut is a
// scheduling decision like any other, so every strategy of the deterministic scheduler chooses
// it — and one replay and one shrinker handle operations, schedule and crash plan together.
//
// Strategies. The crasher (CrashControl::crasher) cuts the power the first time it runs.
//   random, pct  — CrashPointStrategy around RandomStrategy or PctStrategy: each run draws a crash
//                  step uniformly over the length of the first phase seen so far (one run in
//                  eight lets the crasher run only when nothing else can: a cut after every
//                  operation, which also measures that length); until then the inner strategy
//                  schedules the other fibers, then the crasher runs at the first step it can.
//   portfolio    — random and pct at depths 1 to 3 in turn, each so wrapped.
//   dfs          — DfsStrategy with the crasher an ordinary fiber: running it costs a preemption
//                  like switching to any other, so every crash point within the bound is
//                  explored (the crasher is started last, so the first schedule cuts the power
//                  after everything, and backtracking moves the cut earlier), the plan drawn
//                  from the run's seed.
// The randomized strategies draw a fresh program every `schedules_per_program` schedules (the
// program, the strategy and every crash plan are functions of the seed); dfs searches the
// program of the seed.
//
// The scheduler's optional choices (spurious wake-ups and the like) stay plain here: the
// concurrency checker explores those; this one explores power cuts.
//
// Minimization (MinimizeJoint) keeps the failure kind (Failure::SameAs) and repeats, until none
// helps: drop an operation (a thread's whole script, then single steps); shrink the schedule
// (MinimizeSchedule: fewer preemptions, fewer steps); keep fewer pending pages (each kept page
// lost, the torn page lost); cut the power earlier (the crasher's run moved towards the start).
//
// Thread-safety: one search at a time per thread (seeded bugs are process-wide).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "shardstore/checker/crash_concurrency.h"
#include "shardstore/checker/failure.h"
#include "shardstore/checker/schedule_trace.h"
#include "shardstore/checker/scheduler.h"

namespace shardstore::checker {

// A strategy around another that picks the crash point (see above).
class CrashPointStrategy final : public Strategy {
 public:
  // `choose_point` false: the inner strategy schedules the crasher like any fiber (dfs); only
  // the plan seed is set per run.
  CrashPointStrategy(std::unique_ptr<Strategy> inner, uint64_t seed, CrashControl* control,
                     bool choose_point = true);
  void BeginRun() override;
  void OnSpawn(FiberId fiber) override { inner_->OnSpawn(fiber); }
  FiberId Pick(const PickPoint& point) override;
  uint32_t Choose(ChoiceKind kind, uint32_t count, uint64_t step) override {
    return inner_->Choose(kind, count, step);
  }
  bool NextRun() override;

 private:
  std::unique_ptr<Strategy> inner_;
  Random random_;
  CrashControl* const control_;
  const bool choose_point_;
  uint64_t runs_ = 0;
  uint64_t first_phase_steps_ = 0;      // the longest first phase seen (a cut after everything)
  std::optional<uint64_t> crash_step_;  // this run's; nullopt: when nothing else can run
  std::vector<FiberId> others_;
};

// How big a case is, as the minimizer and the reports count it.
struct JointSize {
  size_t ops = 0;
  uint64_t preemptions = 0;
  uint64_t steps = 0;
  uint64_t crash_step = 0;  // the schedule index at which the crasher ran
  uint32_t kept_pages = 0;  // of the pending ones, whole or torn
  uint32_t pending_pages = 0;
  std::string ToString() const;
};

// One run of a case with its schedule and plan, with the case's seeded bug on (its history kept
// in control.history).
struct JointReplay {
  ScheduleRun run;
  CrashControl control;
  JointSize size;
};
// REQUIRES: c.plan set. An empty schedule runs round-robin-less: the current fiber while it can.
JointReplay ReplayJoint(const JointCase& c);

// The case replayed with every scheduling point recorded (a report's timeline), its history and
// what the cut met left in `control`. REQUIRES: c.plan set.
ScheduleTrace TraceJoint(const JointCase& c, CrashControl* control);

struct JointMinimized {
  JointCase minimized;  // fails as `failure` did (Failure::SameAs)
  JointReplay replay;   // of `minimized`
  int replays = 0;
  double seconds = 0;
};
// REQUIRES: ReplayJoint(failing) fails with `failure`.
JointMinimized MinimizeJoint(const JointCase& failing, const Failure& failure,
                             int replays_max = 3000);

struct JointSearchOptions {
  JointWorkload workload = JointWorkload::kClients;
  seeded::Bug bug = seeded::Bug::kNone;  // on during the search (and its replays)
  uint64_t iterations = 1000;            // schedules
  uint64_t seed = 1;
  std::string strategy = "portfolio";  // portfolio, random, pct, dfs
  uint32_t depth = 3;                  // pct: bug depth; dfs: preemption bound
  double time_budget_seconds = 0;      // 0: none
  uint64_t schedules_per_program = 100;
  bool minimize = true;
  int minimize_replays_max = 3000;
};

struct JointFinding {
  Failure failure;
  std::string strategy;         // the member that found it
  uint64_t schedule_index = 0;  // 1-based
  double seconds = 0;           // from the start of the search until found
  JointCase found;              // with the plan and schedule as found
  JointSize found_size;
  bool reproduces = false;  // the found case, replayed, fails the same way
  JointMinimized minimized;
  std::optional<Failure> minimized_failure;
};

struct JointReport {
  JointWorkload workload = JointWorkload::kClients;
  std::string strategy;
  uint64_t schedules = 0;
  uint64_t programs = 0;
  uint64_t steps = 0;
  double seconds = 0;
  bool exhausted = false;     // dfs: every schedule within the bound ran
  bool budget_spent = false;  // the time budget ended it
  // What the power cuts met: cuts with writes pending (not yet flushed), the pages pending at
  // them, the pages the plans kept (whole or torn), and the plans that tore one.
  uint64_t cuts_with_pending = 0;
  uint64_t pending_pages = 0;
  uint64_t kept_pages = 0;
  uint64_t torn_pages = 0;
  std::optional<JointFinding> finding;
  bool ok() const { return !finding; }
};

// Names "portfolio", "random", "pct", "dfs".
bool IsJointStrategy(std::string_view name);
JointReport SearchJoint(const JointSearchOptions& options);

}  // namespace shardstore::checker
