#include "shardstore/checker/crash_concurrency_check.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "shardstore/assert.h"
#include "shardstore/checker/concurrency_check.h"

namespace shardstore::checker {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

uint64_t Mix(uint64_t a, uint64_t b) {
  Random random(a ^ (b * 0x9E3779B97F4A7C15ull));
  return random.Next();
}

SchedulerOptions JointSchedulerOptions() {
  SchedulerOptions options;
  options.choices = false;  // the concurrency checker explores those
  return options;
}

uint64_t CrashStep(const Schedule& schedule, FiberId crasher) {
  const auto it = std::find(schedule.begin(), schedule.end(), crasher);
  return static_cast<uint64_t>(it - schedule.begin());
}

JointSize SizeOf(const JointCase& c, const ScheduleRun& run, const CrashControl& control) {
  JointSize size;
  size.ops = c.program.steps();
  size.preemptions = run.preemptions;
  size.steps = run.steps();
  size.crash_step = CrashStep(run.schedule, control.crasher);
  size.pending_pages = control.pending_pages;
  size.kept_pages = KeptPages(control.plan, control.pending_pages);
  return size;
}

JointReplay RunWith(const JointCase& c, Strategy& strategy, bool keep_history = false) {
  const seeded::Scope scope(c.bug);
  Scheduler scheduler(JointSchedulerOptions());
  JointReplay replay;
  CrashControl control;
  control.keep_history = keep_history;
  replay.run = scheduler.Run(JointBody(c, &control), strategy);
  replay.control = control;
  replay.size = SizeOf(c, replay.run, control);
  return replay;
}

// A search's strategy; `portfolio` names the member whose turn it is, when there are members.
struct SearchStrategy {
  std::unique_ptr<Strategy> strategy;
  const PortfolioStrategy* portfolio = nullptr;
  std::string Name(const std::string& fallback) const {
    return portfolio ? "portfolio: " + portfolio->current_name() : fallback;
  }
};

SearchStrategy MakeStrategy(const std::string& name, uint32_t depth, uint64_t seed,
                            CrashControl* control) {
  auto wrap = [&](std::unique_ptr<Strategy> inner, uint64_t s) {
    return std::make_unique<CrashPointStrategy>(std::move(inner), s, control);
  };
  if (name == "random") return {wrap(std::make_unique<RandomStrategy>(seed), seed + 1)};
  if (name == "pct") return {wrap(std::make_unique<PctStrategy>(seed, depth), seed + 1)};
  if (name == "dfs") {
    return {std::make_unique<CrashPointStrategy>(std::make_unique<DfsStrategy>(depth), seed,
                                                 control, /*choose_point=*/false)};
  }
  std::vector<PortfolioStrategy::Member> members;
  members.push_back({"random", wrap(std::make_unique<RandomStrategy>(seed), seed + 11)});
  for (uint32_t d = 1; d <= 3; ++d) {
    members.push_back({"pct(" + std::to_string(d) + ")",
                       wrap(std::make_unique<PctStrategy>(seed + d, d), seed + 11 + d)});
  }
  auto portfolio = std::make_unique<PortfolioStrategy>(std::move(members));
  const PortfolioStrategy* named = portfolio.get();
  return {std::move(portfolio), named};
}

}  // namespace

CrashPointStrategy::CrashPointStrategy(std::unique_ptr<Strategy> inner, uint64_t seed,
                                       CrashControl* control, bool choose_point)
    : inner_(std::move(inner)), random_(seed), control_(control), choose_point_(choose_point) {}

void CrashPointStrategy::BeginRun() {
  inner_->BeginRun();
  control_->plan_seed = random_.Next();
  control_->crasher = kNoCrasher;  // until the body starts it
  crash_step_.reset();
  // The first run, and one in eight, cut the power only when nothing else can run.
  if (choose_point_ && first_phase_steps_ > 0 && random_.Next() % 8 != 0) {
    crash_step_ = random_.Next() % (first_phase_steps_ + 1);
  }
}

FiberId CrashPointStrategy::Pick(const PickPoint& point) {
  const FiberId crasher = control_->crasher;
  const bool runnable =
      std::find(point.runnable.begin(), point.runnable.end(), crasher) != point.runnable.end();
  if (!choose_point_ || !runnable) return inner_->Pick(point);
  if (point.runnable.size() == 1) {
    if (!crash_step_) first_phase_steps_ = std::max(first_phase_steps_, point.step);
    return crasher;
  }
  if (crash_step_ && point.step >= *crash_step_) return crasher;
  others_.assign(point.runnable.begin(), point.runnable.end());
  std::erase(others_, crasher);
  return inner_->Pick(PickPoint{others_, point.current, point.step, point.kind});
}

bool CrashPointStrategy::NextRun() {
  ++runs_;
  return inner_->NextRun();
}

std::string JointSize::ToString() const {
  return std::to_string(ops) + " ops, " + std::to_string(preemptions) + " preemptions, " +
         std::to_string(steps) + " steps, power cut at step " + std::to_string(crash_step) + ", " +
         std::to_string(kept_pages) + " of " + std::to_string(pending_pages) +
         " pending pages kept";
}

ScheduleTrace TraceJoint(const JointCase& c, CrashControl* control) {
  SS_ASSERT(c.plan.has_value());
  const seeded::Scope scope(c.bug);
  *control = CrashControl();
  control->keep_history = true;
  return TraceSchedule(JointBody(c, control), c.schedule.empty() ? EncodeSchedule({}) : c.schedule,
                       JointSchedulerOptions());
}

JointReplay ReplayJoint(const JointCase& c) {
  SS_ASSERT(c.plan.has_value());
  Schedule schedule;
  if (!c.schedule.empty()) {
    std::optional<Schedule> decoded = DecodeSchedule(c.schedule);
    SS_ASSERT_MSG(decoded.has_value(), "not a schedule: " + c.schedule);
    schedule = std::move(*decoded);
  }
  ReplayStrategy strategy(std::move(schedule));
  return RunWith(c, strategy, /*keep_history=*/true);
}

JointMinimized MinimizeJoint(const JointCase& failing, const Failure& failure, int replays_max) {
  const auto start = std::chrono::steady_clock::now();
  using Runs = std::vector<RunListStrategy::Run>;
  JointMinimized best;
  best.minimized = failing;
  best.replay = ReplayJoint(failing);
  best.replays = 1;
  SS_ASSERT(best.replay.run.failure && best.replay.run.failure->SameAs(failure));
  // Runs `c` along `runs`; keeps it (with the schedule it made) when it fails the same way and
  // `smaller` says the result is an improvement.
  auto attempt = [&](JointCase c, const Runs& runs,
                     const std::function<bool(const JointSize&)>& smaller) {
    if (best.replays >= replays_max) return false;
    ++best.replays;
    RunListStrategy strategy(runs);
    JointReplay replay = RunWith(c, strategy);
    if (!replay.run.failure || !replay.run.failure->SameAs(failure)) return false;
    if (!smaller(replay.size)) return false;
    c.schedule = EncodeSchedule(replay.run.schedule);
    best.minimized = std::move(c);
    best.replay = std::move(replay);
    return true;
  };
  auto runs_now = [&] { return RunListStrategy::RunsOf(best.replay.run.schedule); };
  auto fewer_ops = [](const JointSize&) { return true; };  // the candidate has fewer by design

  // Drops steps from the scripts: a whole script first, then single steps.
  auto drop_ops = [&] {
    bool any = false;
    for (bool whole : {true, false}) {
      for (bool again = true; again;) {
        again = false;
        JointProgram& p = best.minimized.program;
        std::vector<JointScript*> scripts = {&p.setup};
        for (JointScript& s : p.threads) scripts.push_back(&s);
        for (JointScript& s : p.after) scripts.push_back(&s);
        for (size_t s = 0; s < scripts.size() && !again; ++s) {
          const size_t count = scripts[s]->size();
          for (size_t i = 0; i < (whole ? std::min<size_t>(count, 1) : count) && !again; ++i) {
            JointCase candidate = best.minimized;
            std::vector<JointScript*> mine = {&candidate.program.setup};
            for (JointScript& t : candidate.program.threads) mine.push_back(&t);
            for (JointScript& t : candidate.program.after) mine.push_back(&t);
            if (whole) {
              mine[s]->clear();
            } else {
              mine[s]->erase(mine[s]->begin() + static_cast<std::ptrdiff_t>(i));
            }
            again = attempt(std::move(candidate), runs_now(), fewer_ops);
          }
        }
        any |= again;
      }
    }
    return any;
  };
  auto shrink_schedule = [&] {
    if (best.replays >= replays_max) return false;
    const seeded::Scope scope(best.minimized.bug);
    Scheduler scheduler(JointSchedulerOptions());
    CrashControl control;
    const ScheduleRun shrunk =
        MinimizeSchedule(JointBody(best.minimized, &control), best.replay.run, scheduler,
                         std::max(1, std::min(1000, replays_max - best.replays)));
    best.replays += 1;  // MinimizeSchedule counts its own replays; count the call
    if (shrunk.schedule == best.replay.run.schedule) return false;
    return attempt(best.minimized, RunListStrategy::RunsOf(shrunk.schedule),
                   [&](const JointSize& s) {
                     return std::pair(s.preemptions, s.steps) <
                            std::pair(best.replay.size.preemptions, best.replay.size.steps);
                   });
  };
  auto keep_fewer_pages = [&] {
    bool any = false;
    const uint32_t pending = std::min<uint32_t>(best.replay.control.pending_pages, 64);
    for (uint32_t page = 0; page <= pending; ++page) {
      JointCase candidate = best.minimized;
      MemDisk::CrashPlan& plan = *candidate.plan;
      if (page == pending) {
        if (plan.torn_page == 0) continue;
        plan.torn_page = 0;
        plan.torn_sectors = 0;
      } else {
        if (!(plan.keep_mask >> page & 1)) continue;
        plan.keep_mask &= ~(uint64_t{1} << page);
      }
      any |= attempt(std::move(candidate), runs_now(), [&](const JointSize& s) {
        return s.kept_pages < best.replay.size.kept_pages;
      });
    }
    return any;
  };
  // Moves the crasher's run to each earlier place, earliest first.
  auto crash_earlier = [&] {
    const FiberId crasher = best.replay.control.crasher;
    const Runs runs = runs_now();
    const auto at =
        std::find_if(runs.begin(), runs.end(), [&](const auto& r) { return r.fiber == crasher; });
    if (at == runs.end()) return false;
    for (auto to = runs.begin(); to != at; ++to) {
      Runs candidate(runs.begin(), to);
      candidate.push_back(*at);
      candidate.insert(candidate.end(), to, at);
      candidate.insert(candidate.end(), at + 1, runs.end());
      if (attempt(best.minimized, candidate,
                  [&](const JointSize& s) { return s.crash_step < best.replay.size.crash_step; })) {
        return true;
      }
    }
    return false;
  };
  for (int round = 0; round < 8 && best.replays < replays_max; ++round) {
    bool improved = drop_ops();
    improved |= shrink_schedule();
    improved |= keep_fewer_pages();
    improved |= crash_earlier();
    if (!improved) break;
  }
  best.seconds = SecondsSince(start);
  return best;
}

bool IsJointStrategy(std::string_view name) {
  return name == "portfolio" || name == "random" || name == "pct" || name == "dfs";
}

JointReport SearchJoint(const JointSearchOptions& options) {
  SS_ASSERT(IsJointStrategy(options.strategy));
  const auto start = std::chrono::steady_clock::now();
  JointReport report;
  report.workload = options.workload;
  report.strategy = options.strategy;
  const bool systematic = options.strategy == "dfs";
  Scheduler scheduler(JointSchedulerOptions());
  CrashControl control;
  JointCase c;
  c.workload = options.workload;
  c.bug = options.bug;
  Body body;
  SearchStrategy search;
  std::optional<ScheduleRun> failed;
  std::string failed_by;
  const seeded::Scope scope(options.bug);
  for (uint64_t i = 0; i < options.iterations; ++i) {
    if (options.time_budget_seconds > 0 && SecondsSince(start) >= options.time_budget_seconds) {
      report.budget_spent = true;
      break;
    }
    const bool fresh = !search.strategy || (!systematic && i % options.schedules_per_program == 0);
    if (fresh) {
      const uint64_t program_seed = systematic ? options.seed : Mix(options.seed, report.programs);
      c.program = MakeJointProgram(options.workload, program_seed);
      body = JointBody(c, &control);
      search = MakeStrategy(options.strategy, options.depth, Mix(program_seed, 7), &control);
      ++report.programs;
    }
    ScheduleRun run = scheduler.Run(body, *search.strategy);
    ++report.schedules;
    report.steps += run.steps();
    if (control.cut && control.pending_pages > 0) {
      ++report.cuts_with_pending;
      report.pending_pages += control.pending_pages;
      report.kept_pages += KeptPages(control.plan, control.pending_pages);
      const auto sectors = MemDisk::SectorsFor(control.plan, control.pending_pages);
      report.torn_pages += static_cast<uint64_t>(
          std::count_if(sectors.begin(), sectors.end(),
                        [](MemDisk::SectorsKept k) { return k > 0 && k < MemDisk::kPageWhole; }));
    }
    if (run.failure) {
      failed_by = search.Name(options.strategy);
      c.plan = control.plan;
      c.schedule = EncodeSchedule(run.schedule);
      failed = std::move(run);
      break;
    }
    if (!search.strategy->NextRun()) {
      report.exhausted = true;
      break;
    }
  }
  report.seconds = SecondsSince(start);
  if (!failed) return report;
  JointFinding finding;
  finding.failure = *failed->failure;
  finding.strategy = failed_by;
  finding.schedule_index = report.schedules;
  finding.seconds = report.seconds;
  finding.found = c;
  finding.found_size = SizeOf(c, *failed, control);
  const JointReplay again = ReplayJoint(c);
  finding.reproduces = again.run.failure && again.run.failure->SameAs(finding.failure);
  if (finding.reproduces && options.minimize) {
    finding.minimized = MinimizeJoint(c, finding.failure, options.minimize_replays_max);
  } else {
    finding.minimized.minimized = c;
    finding.minimized.replay = again;
  }
  finding.minimized_failure = finding.minimized.replay.run.failure;
  report.finding = std::move(finding);
  return report;
}

}  // namespace shardstore::checker
