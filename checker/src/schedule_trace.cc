#include "shardstore/checker/schedule_trace.h"

#include <algorithm>
#include <deque>

namespace shardstore::checker {
namespace {

// Replays a schedule and keeps what it sees at each point.
class TracingStrategy final : public Strategy {
 public:
  explicit TracingStrategy(Schedule schedule) : replay_(std::move(schedule)) {}

  FiberId Pick(const PickPoint& point) override {
    const FiberId next = replay_.Pick(point);
    const bool could_go_on = std::find(point.runnable.begin(), point.runnable.end(),
                                       point.current) != point.runnable.end();
    if (points_.size() == kTracePointsMax) {
      points_.pop_front();
      ++dropped_;
    }
    points_.push_back(
        {point.step, point.current, point.kind, next, next != point.current && could_go_on});
    fibers_ = std::max({fibers_, point.current + 1, next + 1});
    return next;
  }
  uint32_t Choose(ChoiceKind kind, uint32_t count, uint64_t step) override {
    return replay_.Choose(kind, count, step);
  }
  void Note(FiberId fiber, uint64_t step, const std::string& text) override {
    if (notes_.size() == kTraceNotesMax) notes_.pop_front();
    notes_.push_back({step, fiber, text});
  }

  ScheduleTrace Take() {
    ScheduleTrace trace;
    trace.fibers = fibers_;
    trace.points_dropped = dropped_;
    trace.points.assign(points_.begin(), points_.end());
    trace.notes.assign(notes_.begin(), notes_.end());
    return trace;
  }

 private:
  ReplayStrategy replay_;
  std::deque<TracePoint> points_;
  std::deque<TraceNote> notes_;
  uint64_t dropped_ = 0;
  uint32_t fibers_ = 1;
};

}  // namespace

ScheduleTrace TraceSchedule(const Body& body, std::string_view schedule,
                            const SchedulerOptions& options) {
  const std::optional<Schedule> decoded = DecodeSchedule(schedule);
  if (!decoded) {
    ScheduleTrace bad;
    bad.failure = Failure{FailureKind::kMisuse,
                          "not a schedule: " + ScheduleError(schedule).value_or("unreadable")};
    return bad;
  }
  TracingStrategy tracer(*decoded);
  Scheduler scheduler(options);
  const ScheduleRun run = scheduler.Run(body, tracer);
  ScheduleTrace trace = tracer.Take();
  trace.failure = run.failure;
  trace.steps = run.steps();
  return trace;
}

nlohmann::json TraceJson(const ScheduleTrace& trace) {
  using nlohmann::json;
  json points = json::array();
  for (const TracePoint& p : trace.points) {
    points.push_back({p.step, p.fiber, PointKindName(p.kind), p.next, p.preempted});
  }
  json notes = json::array();
  for (const TraceNote& n : trace.notes) notes.push_back({n.step, n.fiber, n.text});
  return {{"fibers", trace.fibers},
          {"steps", trace.steps},
          {"points_dropped", trace.points_dropped},
          {"points", points},
          {"notes", notes},
          {"failure", trace.failure ? json{{"kind", FailureKindName(trace.failure->kind)},
                                           {"message", trace.failure->message}}
                                    : json(nullptr)}};
}

}  // namespace shardstore::checker
