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
    text += std::to_string(schedule[i]);
    if (run > 1) text += "*" + std::to_string(run);
    i += run;
  }
  return text;
}

std::optional<Schedule> DecodeSchedule(std::string_view text) {
  if (!text.starts_with(kSchedulePrefix)) return std::nullopt;
  text.remove_prefix(kSchedulePrefix.size());
  Schedule schedule;
  auto number = [&](uint64_t* value) {
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
    if (error != std::errc()) return false;
    text.remove_prefix(static_cast<size_t>(end - text.data()));
    return true;
  };
  constexpr uint64_t kStepsMax = uint64_t{1} << 32;
  while (!text.empty()) {
    uint64_t fiber = 0, run = 1;
    if (!number(&fiber) || fiber > UINT32_MAX) return std::nullopt;
    if (!text.empty() && text[0] == '*') {
      text.remove_prefix(1);
      if (!number(&run) || run == 0 || schedule.size() + run > kStepsMax) return std::nullopt;
    }
    schedule.insert(schedule.end(), run, static_cast<FiberId>(fiber));
    if (!text.empty()) {
      if (text[0] != '.' || text.size() == 1) return std::nullopt;
      text.remove_prefix(1);
    }
  }
  return schedule;
}

FiberId RandomStrategy::Pick(std::span<const FiberId> runnable, FiberId, uint64_t) {
  return runnable[random_.Next() % runnable.size()];
}

PctStrategy::PctStrategy(uint64_t seed, uint32_t depth, uint64_t steps_estimate)
    : random_(seed), depth_(std::max<uint32_t>(1, depth)), steps_estimate_(steps_estimate) {}

void PctStrategy::BeginRun() {
  priority_.clear();
  change_steps_.clear();
  for (uint32_t i = 1; i < depth_; ++i) {
    change_steps_.push_back(random_.Next() % std::max<uint64_t>(1, steps_estimate_));
  }
  std::sort(change_steps_.begin(), change_steps_.end());
  next_low_ = depth_ - 1;  // change point i gives priority depth - i: below every initial one
  longest_ = 0;
}

void PctStrategy::OnSpawn(FiberId fiber) {
  if (priority_.size() <= fiber) priority_.resize(fiber + 1, 0);
  // Initial priorities lie above every change-point priority and are distinct (ties, which
  // the 40 random bits make rare, go to the lower id).
  priority_[fiber] = static_cast<int64_t>(depth_) + static_cast<int64_t>(random_.Next() >> 24);
}

FiberId PctStrategy::Pick(std::span<const FiberId> runnable, FiberId current, uint64_t step) {
  longest_ = std::max(longest_, step + 1);
  for (uint64_t change : change_steps_) {
    if (change == step && current < priority_.size()) priority_[current] = next_low_--;
  }
  FiberId best = runnable[0];
  for (FiberId fiber : runnable) {
    if (priority_[fiber] > priority_[best]) best = fiber;
  }
  return best;
}

bool PctStrategy::NextRun() {
  steps_estimate_ = std::max(steps_estimate_, longest_);
  return true;
}

void DfsStrategy::BeginRun() {
  depth_ = 0;
  preemptions_ = 0;
}

FiberId DfsStrategy::Pick(std::span<const FiberId> runnable, FiberId current, uint64_t) {
  if (depth_ == stack_.size()) {
    Decision d;
    d.current_runnable = Contains(runnable, current);
    if (d.current_runnable) d.options.push_back(current);
    for (FiberId fiber : runnable) {
      if (fiber != current) d.options.push_back(fiber);
    }
    d.preemptions_before = preemptions_;
    stack_.push_back(std::move(d));
  }
  const Decision& d = stack_[depth_++];
  if (IsPreemption(d, d.tried)) ++preemptions_;
  return d.options[d.tried];
}

bool DfsStrategy::NextRun() {
  stack_.resize(std::min(stack_.size(), depth_));
  while (!stack_.empty()) {
    Decision& d = stack_.back();
    for (size_t i = d.tried + 1; i < d.options.size(); ++i) {
      if (d.preemptions_before + (IsPreemption(d, i) ? 1 : 0) <= bound_) {
        d.tried = i;
        return true;
      }
    }
    stack_.pop_back();
  }
  return false;
}

std::vector<RunListStrategy::Run> RunListStrategy::RunsOf(const Schedule& schedule) {
  std::vector<Run> runs;
  for (FiberId fiber : schedule) {
    if (runs.empty() || runs.back().fiber != fiber) runs.push_back({fiber, 0});
    ++runs.back().steps;
  }
  return runs;
}

FiberId RunListStrategy::Pick(std::span<const FiberId> runnable, FiberId current, uint64_t) {
  for (; next_ < runs_.size(); ++next_, used_ = 0) {
    const Run& run = runs_[next_];
    if (used_ < run.steps && Contains(runnable, run.fiber)) {
      ++used_;
      return run.fiber;
    }
  }
  if (Contains(runnable, current)) return current;
  return runnable[0];
}

FiberId ReplayStrategy::Pick(std::span<const FiberId> runnable, FiberId current, uint64_t step) {
  if (step < schedule_.size() && Contains(runnable, schedule_[step])) return schedule_[step];
  if (Contains(runnable, current)) return current;
  return runnable[0];
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
