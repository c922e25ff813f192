// ScheduleTrace: one schedule replayed with every scheduling point recorded, for a report's
// timeline (one lane per fiber).
//
// A point is where a fiber reached a scheduling point (a lock, a wait, an atomic, blocking or
// ending) and which fiber the schedule ran next; a switch away from a fiber that could have gone
// on is a preemption. Notes are what the code under test said it holds or waits for
// (sync::Note: "read budget: took 4096 bytes, 4096 of 8192 left"), at the step they were said.
// Both are bounded (kTracePointsMax, kTraceNotesMax); a longer run keeps its last points, where a
// failure is.
//
// Thread-safety: one trace at a time per thread (it runs a Scheduler).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shardstore/checker/concurrency_check.h"

namespace shardstore::checker {

inline constexpr size_t kTracePointsMax = 20'000;
inline constexpr size_t kTraceNotesMax = 2'000;

struct TracePoint {
  uint64_t step = 0;
  FiberId fiber = 0;  // the fiber that reached the point
  PointKind kind = PointKind::kStart;
  FiberId next = 0;        // the fiber run after it
  bool preempted = false;  // `fiber` could have gone on
};

struct TraceNote {
  uint64_t step = 0;
  FiberId fiber = 0;
  std::string text;
};

struct ScheduleTrace {
  std::optional<Failure> failure;  // what the replay failed with
  uint32_t fibers = 0;             // fibers that ran (0 is the body)
  uint64_t steps = 0;
  uint64_t points_dropped = 0;  // the earliest points, past kTracePointsMax
  std::vector<TracePoint> points;
  std::vector<TraceNote> notes;
};

// Replays `schedule` ("sched1:...") of `body` recording every point. A schedule that does not
// parse gives a trace with a misuse failure and no points.
ScheduleTrace TraceSchedule(const Body& body, std::string_view schedule,
                            const SchedulerOptions& options = {});

// {"fibers", "steps", "points_dropped", "points": [[step, fiber, kind, next, preempted]...],
//  "notes": [[step, fiber, text]...], "failure": {"kind", "message"} or null}
nlohmann::json TraceJson(const ScheduleTrace& trace);

}  // namespace shardstore::checker
