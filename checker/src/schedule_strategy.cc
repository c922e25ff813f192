#include "shardstore/checker/schedule_strategy.h"

#include <algorithm>
#include <charconv>

#include "shardstore/assert.h"

namespace shardstore::checker {
namespace {

constexpr std::string_view kSchedulePrefix = "sched1:";

bool Contains(std::span<const FiberId> fibers, FiberId fiber) {
  return std::find(fibers.begin(), fibers.end(), fiber) != fibers.end();
}

}  // namespace

std::string EncodeSchedule(const Schedule& schedule) {
  std::string text(kSchedulePrefix);
  for (size_t i = 0; i < schedule.size();) {
    size_t run = 1;
    while (i + run < schedule.size() && schedule[i + run] == schedule[i]) ++run;
    if (i > 0) text += '.';
    if (IsChoice(schedule[i])) {
      text += 'c' + std::to_string(schedule[i] & ~kChoiceMark);
    } else {
      text += std::to_string(schedule[i]);
    }
    if (run > 1) text += "*" + std::to_string(run);
    i += run;
  }
  return text;
}

std::optional<std::string> ScheduleError(std::string_view text) {
  if (!text.starts_with(kSchedulePrefix)) {
    return "a schedule starts with \"" + std::string(kSchedulePrefix) + "\"";
  }
  text.remove_prefix(kSchedulePrefix.size());
  uint64_t entries = 0;
  auto number = [&](uint64_t* value) {
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
    if (error != std::errc()) return false;
    text.remove_prefix(static_cast<size_t>(end - text.data()));
    return true;
  };
  constexpr uint64_t kEntriesMax = uint64_t{1} << 32;
  while (!text.empty()) {
    const bool choice = text[0] == 'c';
    if (choice) text.remove_prefix(1);
    uint64_t value = 0, run = 1;
    if (!number(&value)) return "expected a fiber id or c<choice> at \"" + std::string(text) + "\"";
    if (value >= kChoiceMark)
      return "fiber id or choice " + std::to_string(value) + " is too large";
    if (!text.empty() && text[0] == '*') {
      text.remove_prefix(1);
      if (!number(&run) || run == 0) return "a repeat count after '*' must be a positive number";
    }
    entries += run;
    if (entries > kEntriesMax) return "more than 2^32 entries";
    if (!text.empty()) {
      if (text[0] != '.' || text.size() == 1) {
        return "expected '.' between entries at \"" + std::string(text) + "\"";
      }
      text.remove_prefix(1);
    }
  }
  return std::nullopt;
}

std::optional<Schedule> DecodeSchedule(std::string_view text) {
  if (ScheduleError(text)) return std::nullopt;
  text.remove_prefix(kSchedulePrefix.size());
  Schedule schedule;
  while (!text.empty()) {
    const bool choice = text[0] == 'c';
    if (choice) text.remove_prefix(1);
    uint64_t value = 0, run = 1;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    text.remove_prefix(static_cast<size_t>(end - text.data()));
    if (!text.empty() && text[0] == '*') {
      auto [run_end, run_error] = std::from_chars(text.data() + 1, text.data() + text.size(), run);
      text.remove_prefix(static_cast<size_t>(run_end - text.data()));
    }
    const FiberId entry = static_cast<FiberId>(value) | (choice ? kChoiceMark : 0);
    schedule.insert(schedule.end(), run, entry);
    if (!text.empty()) text.remove_prefix(1);  // '.'
  }
  return schedule;
}

std::string_view PointKindName(PointKind kind) {
  constexpr std::string_view kNames[] = {"start",  "lock",  "unlock",        "wait", "notify",
                                         "atomic", "yield", "io-completion", "join", "blocked"};
  return kNames[static_cast<size_t>(kind)];
}

FiberId RandomStrategy::Pick(const PickPoint& point) {
  return point.runnable[random_.Next() % point.runnable.size()];
}

namespace {

// The randomized strategies' choices: a NotifyOne wakes any waiter; the rare outcomes (a wake-up
// without a notify, a weak compare-exchange failing) one time in kUnusualChoiceOdds.
uint32_t RandomChoice(Random& random, ChoiceKind kind, uint32_t count) {
  if (kind == ChoiceKind::kNotifyWhich) return static_cast<uint32_t>(random.Next() % count);
  return random.Next() % kUnusualChoiceOdds == 0 ? 1 : 0;
}

}  // namespace

uint32_t RandomStrategy::Choose(ChoiceKind kind, uint32_t count, uint64_t) {
  return RandomChoice(random_, kind, count);
}

PctStrategy::PctStrategy(uint64_t seed, uint32_t depth, uint64_t steps_estimate)
    : random_(seed), depth_(std::max<uint32_t>(1, depth)), steps_estimate_(steps_estimate) {}

void PctStrategy::BeginRun() {
  priority_.clear();
  change_steps_.clear();
  // Unordered: which change point comes first in the run says nothing about which priority it
  // gives, so a fiber lowered later may rank above one lowered earlier.
  for (uint32_t i = 1; i < depth_; ++i) {
    change_steps_.push_back(random_.Next() % std::max<uint64_t>(1, steps_estimate_));
  }
  yield_low_ = 0;
  longest_ = 0;
}

void PctStrategy::OnSpawn(FiberId fiber) {
  if (priority_.size() <= fiber) priority_.resize(fiber + 1, 0);
  // Initial priorities lie above every change-point priority (1 .. depth-1) and are distinct
  // (ties, which the 40 random bits make rare, go to the lower id).
  priority_[fiber] = static_cast<int64_t>(depth_) + static_cast<int64_t>(random_.Next() >> 24);
}

FiberId PctStrategy::Highest(std::span<const FiberId> runnable) const {
  FiberId best = runnable[0];
  for (FiberId fiber : runnable) {
    if (priority_[fiber] > priority_[best]) best = fiber;
  }
  return best;
}

FiberId PctStrategy::Pick(const PickPoint& point) {
  longest_ = std::max(longest_, point.step + 1);
  // A yield asks the others to go first: below every priority, the change points' too.
  if (point.kind == PointKind::kYield && point.current < priority_.size()) {
    priority_[point.current] = --yield_low_;
  }
  FiberId best = Highest(point.runnable);
  // Change point i lowers the fiber about to run, never one that is blocked or done.
  for (size_t i = 0; i < change_steps_.size(); ++i) {
    if (change_steps_[i] != point.step) continue;
    priority_[best] = static_cast<int64_t>(depth_) - 1 - static_cast<int64_t>(i);
    best = Highest(point.runnable);
  }
  return best;
}

uint32_t PctStrategy::Choose(ChoiceKind kind, uint32_t count, uint64_t) {
  return RandomChoice(random_, kind, count);
}

bool PctStrategy::NextRun() {
  // k is the length of the runs this body makes: the longest seen, from the second run on.
  steps_estimate_ = ran_ ? std::max(steps_estimate_, longest_) : longest_;
  ran_ = true;
  return true;
}

void DfsStrategy::BeginRun() {
  depth_ = 0;
  spent_ = 0;
}

uint32_t DfsStrategy::Take(Decision d) {
  if (depth_ == stack_.size()) {
    d.spent_before = spent_;
    stack_.push_back(std::move(d));
  }
  const Decision& taken = stack_[depth_++];
  spent_ += taken.costs[taken.tried];
  return taken.options[taken.tried];
}

FiberId DfsStrategy::Pick(const PickPoint& point) {
  if (depth_ < stack_.size()) return Take({});
  Decision d;
  const bool current_runnable = Contains(point.runnable, point.current);
  if (cost_ == Cost::kPreemptions) {
    if (current_runnable) d.options.push_back(point.current);
    for (FiberId fiber : point.runnable) {
      if (fiber != point.current) d.options.push_back(fiber);
    }
    for (size_t i = 0; i < d.options.size(); ++i) {
      d.costs.push_back(current_runnable && i > 0 ? 1 : 0);
    }
  } else {
    // Round-robin: the current fiber while it can run, else the next id after it, cyclically.
    const auto first = std::lower_bound(point.runnable.begin(), point.runnable.end(),
                                        current_runnable ? point.current : point.current + 1);
    for (size_t i = 0; i < point.runnable.size(); ++i) {
      const size_t at = static_cast<size_t>(first - point.runnable.begin()) + i;
      d.options.push_back(point.runnable[at % point.runnable.size()]);
      d.costs.push_back(static_cast<uint32_t>(i));
    }
  }
  return Take(std::move(d));
}

uint32_t DfsStrategy::Choose(ChoiceKind, uint32_t count, uint64_t) {
  if (depth_ < stack_.size()) return Take({});
  Decision d;
  for (uint32_t value = 0; value < count; ++value) {
    d.options.push_back(value);
    d.costs.push_back(value == 0 ? 0 : 1);  // an unusual outcome costs like a preemption
  }
  return Take(std::move(d));
}

bool DfsStrategy::NextRun() {
  stack_.resize(std::min(stack_.size(), depth_));
  while (!stack_.empty()) {
    Decision& d = stack_.back();
    for (size_t i = d.tried + 1; i < d.options.size(); ++i) {
      if (d.spent_before + d.costs[i] <= bound_) {
        d.tried = i;
        return true;
      }
    }
    stack_.pop_back();
  }
  return false;
}

IterativeDfsStrategy::IterativeDfsStrategy(uint32_t bound_max, DfsStrategy::Cost cost)
    : bound_max_(bound_max), cost_(cost), dfs_(std::make_unique<DfsStrategy>(0, cost)) {}

bool IterativeDfsStrategy::NextRun() {
  if (dfs_->NextRun()) return true;
  if (bound_ >= bound_max_) return false;
  dfs_ = std::make_unique<DfsStrategy>(++bound_, cost_);
  return true;
}

std::vector<RunListStrategy::Run> RunListStrategy::RunsOf(const Schedule& schedule) {
  std::vector<Run> runs;
  for (FiberId fiber : schedule) {
    if (runs.empty() || runs.back().fiber != fiber) runs.push_back({fiber, 0});
    ++runs.back().steps;
  }
  return runs;
}

FiberId RunListStrategy::Pick(const PickPoint& point) {
  for (; next_ < runs_.size(); ++next_, used_ = 0) {
    const Run& run = runs_[next_];
    if (used_ < run.steps && Contains(point.runnable, run.fiber)) {
      ++used_;
      return run.fiber;
    }
  }
  if (Contains(point.runnable, point.current)) return point.current;
  return point.runnable[0];
}

uint32_t RunListStrategy::Choose(ChoiceKind, uint32_t count, uint64_t) {
  while (next_ < runs_.size() && used_ >= runs_[next_].steps) {
    ++next_;
    used_ = 0;
  }
  if (next_ == runs_.size() || !IsChoice(runs_[next_].fiber)) return 0;
  ++used_;
  const uint32_t value = runs_[next_].fiber & ~kChoiceMark;
  return value < count ? value : 0;
}

FiberId ReplayStrategy::Pick(const PickPoint& point) {
  if (point.step < schedule_.size() && Contains(point.runnable, schedule_[point.step])) {
    return schedule_[point.step];
  }
  if (Contains(point.runnable, point.current)) return point.current;
  return point.runnable[0];
}

uint32_t ReplayStrategy::Choose(ChoiceKind, uint32_t count, uint64_t step) {
  if (step >= schedule_.size() || !IsChoice(schedule_[step])) return 0;
  const uint32_t value = schedule_[step] & ~kChoiceMark;
  return value < count ? value : 0;
}

PortfolioStrategy::PortfolioStrategy(std::vector<Member> members) : members_(std::move(members)) {
  SS_ASSERT(!members_.empty());
}

PortfolioStrategy PortfolioStrategy::Default(uint64_t seed) {
  std::vector<Member> members;
  members.push_back({"random", std::make_unique<RandomStrategy>(seed)});
  for (uint32_t depth = 1; depth <= 3; ++depth) {
    members.push_back(
        {"pct(" + std::to_string(depth) + ")", std::make_unique<PctStrategy>(seed + depth, depth)});
  }
  return PortfolioStrategy(std::move(members));
}

bool PortfolioStrategy::NextRun() {
  // A member with no more runs (an exhausted DFS) drops out; the portfolio ends with the last.
  if (!Turn().NextRun()) {
    members_.erase(members_.begin() + static_cast<std::ptrdiff_t>(turn_));
    if (members_.empty()) return false;
    turn_ %= members_.size();
    return true;
  }
  turn_ = (turn_ + 1) % members_.size();
  return true;
}

}  // namespace shardstore::checker
