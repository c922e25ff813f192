// Report parts for time: the schedule's timeline (a lane per fiber) and history bars.
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "report_parts.h"
#include "shardstore/checker/report.h"

namespace shardstore::checker::report {
namespace {

constexpr double kLabelWidth = 112;
constexpr double kLaneHeight = 26;
constexpr double kAxisHeight = 22;
constexpr double kDrawnWidth = 1100;  // the width a short run is stretched to

std::string Num(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

// Step (or event position) to x, from `origin` on (earlier ones fold onto it), stretched or
// squeezed to about kDrawnWidth, at least 1 px each.
struct Scale {
  uint64_t origin;
  double per_unit;
  Scale(uint64_t units, double max_per_unit, uint64_t origin_unit = 0)
      : origin(origin_unit),
        per_unit(std::clamp(
            kDrawnWidth / static_cast<double>(std::max<uint64_t>(units - origin_unit, 1)), 1.0,
            max_per_unit)) {}
  double X(uint64_t unit) const {
    return kLabelWidth + static_cast<double>(std::max(unit, origin) - origin) * per_unit;
  }
  double Width(uint64_t from, uint64_t to) const { return X(to) - X(from); }
};

std::string Axis(const Scale& scale, uint64_t units, double height, const char* unit) {
  std::string out;
  uint64_t every = 1;  // 1, 2, 5, 10, 20, 50, ...: a label at least 60 px from the next
  for (uint64_t base = 1; every * scale.per_unit < 60; base *= 10) {
    for (const uint64_t m : {1, 2, 5}) {
      every = base * m;
      if (every * scale.per_unit >= 60) break;
    }
  }
  for (uint64_t u = (scale.origin + every - 1) / every * every; u <= units; u += every) {
    out += "<line x1=\"" + Num(scale.X(u)) + "\" x2=\"" + Num(scale.X(u)) + "\" y1=\"" +
           Num(kAxisHeight - 4) + "\" y2=\"" + Num(height) + "\" stroke=\"#eceff1\"/><text x=\"" +
           Num(scale.X(u) + 2) + "\" y=\"12\">" + std::to_string(u) + "</text>";
  }
  return out + "<text x=\"4\" y=\"12\">" + unit + "</text>\n";
}

struct FiberState {
  std::string last_kind;  // its previous scheduling point
  std::string blocked_on;
  int64_t blocked_since = -1;
  std::vector<std::string> notes;
};

std::string BlockedWhat(const std::string& previous_kind) {
  if (previous_kind == "lock") return "waits for a lock";
  if (previous_kind == "wait") return "waits on a condition variable";
  if (previous_kind == "join") return "waits to join a thread";
  return "";
}

}  // namespace

std::string Timeline(const json& f) {
  if (!f.contains("timeline") || !f["timeline"].is_object()) return "";
  const json& t = f["timeline"];
  const json points = t.contains("points") ? t["points"] : json::array();
  const json notes = t.contains("notes") ? t["notes"] : json::array();
  const uint32_t fibers = std::max<uint32_t>(1, t.value("fibers", 1u));
  const uint64_t steps = t.value("steps", uint64_t{0});
  // A long stretch of the body alone (the setup, before any thread starts) is folded away.
  uint64_t first_together = 0;
  for (const json& p : points) {
    if (p.is_array() && p.size() == 5 && (p[1].get<uint64_t>() != 0 || p[3].get<uint64_t>() != 0)) {
      first_together = p[0].get<uint64_t>();
      break;
    }
  }
  const uint64_t origin =
      first_together > steps / 5 && first_together > 10 ? first_together - 10 : 0;
  const Scale scale(steps, 14, origin);
  const double height = kAxisHeight + fibers * kLaneHeight + 8;
  const double width = scale.X(steps) + 260;
  auto lane_y = [&](uint64_t fiber) {
    return kAxisHeight + static_cast<double>(fiber) * kLaneHeight;
  };
  // Crash-concurrency: the fiber that cuts the power, and the scheduling point where it did.
  const uint64_t crasher = t.value("crasher", ~uint64_t{0});
  const json& cut = f.contains("power_cut") && f["power_cut"].is_object() ? f["power_cut"] : json();
  std::string lanes, runs, marks;
  for (uint32_t fiber = 0; fiber < fibers; ++fiber) {
    lanes += "<g class=\"lane\" data-fiber=\"" + std::to_string(fiber) +
             "\"><rect class=\"lane-bg\" x=\"0\" y=\"" + Num(lane_y(fiber) + 2) + "\" width=\"" +
             Num(width) + "\" height=\"" + Num(kLaneHeight - 4) + "\"/><text x=\"6\" y=\"" +
             Num(lane_y(fiber) + 17) + "\">fiber " + std::to_string(fiber) +
             (fiber == 0         ? " (body)"
              : fiber == crasher ? " (crasher)"
                                 : "") +
             "</text></g>\n";
  }
  std::vector<FiberState> state(fibers);
  auto add_run = [&](uint64_t fiber, uint64_t from, uint64_t to, bool failing) {
    if (fiber >= fibers || to <= from) return;
    runs += "<rect class=\"run" + std::string(failing ? " failing" : "") + "\" x=\"" +
            Num(scale.X(from)) + "\" y=\"" + Num(lane_y(fiber) + 6) + "\" width=\"" +
            Num(scale.Width(from, to)) + "\" height=\"" + Num(kLaneHeight - 12) +
            "\"><title>fiber " + std::to_string(fiber) + " runs steps " + std::to_string(from) +
            "–" + std::to_string(to) + "</title></rect>";
  };
  uint64_t run_fiber = 0, run_from = 0;
  for (size_t i = 0; i < points.size(); ++i) {
    const json& p = points[i];
    if (!p.is_array() || p.size() != 5) continue;
    const uint64_t step = p[0].get<uint64_t>(), fiber = p[1].get<uint64_t>();
    const std::string kind = p[2].get<std::string>();
    const uint64_t next = p[3].get<uint64_t>();
    const bool preempted = p[4].get<bool>();
    if (fiber >= fibers) continue;
    FiberState& s = state[fiber];
    const double x = scale.X(step), y = lane_y(fiber) + kLaneHeight / 2;
    if (kind == "blocked") {
      s.blocked_on = BlockedWhat(s.last_kind);
      s.blocked_since = s.blocked_on.empty() ? -1 : static_cast<int64_t>(step);
    } else if (step < origin) {
      // folded: its state is kept, nothing drawn
    } else if (kind == "lock" || kind == "wait" || kind == "join") {
      marks += "<circle class=\"pt " + kind + "\" cx=\"" + Num(x) + "\" cy=\"" + Num(y) +
               "\" r=\"3.5\"><title>step " + std::to_string(step) + ": fiber " +
               std::to_string(fiber) + " " + kind + "</title></circle>";
    }
    if (preempted && step >= origin) {
      marks += "<path class=\"preempt\" d=\"M" + Num(x) + " " + Num(y - 10) +
               " l5 -6 h-10 z\">"
               "<title>step " +
               std::to_string(step) + ": fiber " + std::to_string(fiber) + " preempted; fiber " +
               std::to_string(next) + " runs</title></path>";
    }
    s.last_kind = kind;
    if (next < fibers && state[next].blocked_since >= 0) {
      const FiberState& w = state[next];
      marks += "<rect class=\"blocked\" x=\"" + Num(scale.X(w.blocked_since)) + "\" y=\"" +
               Num(lane_y(next) + 8) + "\" width=\"" + Num(scale.Width(w.blocked_since, step)) +
               "\" height=\"" + Num(kLaneHeight - 16) + "\"><title>fiber " + std::to_string(next) +
               " " + w.blocked_on + "</title></rect>";
      state[next].blocked_since = -1;
    }
    if (i == 0) run_fiber = next, run_from = step;
    if (next != run_fiber) {
      add_run(run_fiber, run_from, step, false);
      run_fiber = next;
      run_from = step;
    }
  }
  const bool failed = t.contains("failure") && t["failure"].is_object();
  add_run(run_fiber, run_from, steps, failed);
  // The fiber that ran last blocked at once when the run deadlocked: no point followed.
  if (failed && Raw(t["failure"].value("kind", json(""))) == "deadlock" && run_fiber < fibers &&
      state[run_fiber].blocked_since < 0) {
    state[run_fiber].blocked_on = BlockedWhat(state[run_fiber].last_kind);
    if (!state[run_fiber].blocked_on.empty()) state[run_fiber].blocked_since = steps;
  }
  for (uint32_t fiber = 0; fiber < fibers; ++fiber) {
    const FiberState& s = state[fiber];
    if (s.blocked_since < 0) continue;
    marks += "<rect class=\"blocked\" x=\"" + Num(scale.X(s.blocked_since)) + "\" y=\"" +
             Num(lane_y(fiber) + 8) + "\" width=\"" + Num(scale.Width(s.blocked_since, steps)) +
             "\" height=\"" + Num(kLaneHeight - 16) + "\"><title>fiber " + std::to_string(fiber) +
             " " + s.blocked_on + " to the end</title></rect><text x=\"" + Num(scale.X(steps) + 6) +
             "\" y=\"" + Num(lane_y(fiber) + 17) + "\">" + s.blocked_on + "</text>";
  }
  for (const json& n : notes) {
    if (!n.is_array() || n.size() != 3) continue;
    const uint64_t step = n[0].get<uint64_t>(), fiber = n[1].get<uint64_t>();
    if (fiber >= fibers) continue;
    state[fiber].notes.push_back(n[2].get<std::string>());
    if (step < origin) continue;
    marks += "<rect class=\"note-mark\" x=\"" + Num(scale.X(step) - 3) + "\" y=\"" +
             Num(lane_y(fiber) + 2) + "\" width=\"6\" height=\"6\" transform=\"rotate(45 " +
             Num(scale.X(step)) + " " + Num(lane_y(fiber) + 5) + ")\"><title>step " +
             std::to_string(step) + ": " + Text(n[2]) + "</title></rect>";
  }
  std::string failure_mark;
  if (failed) {
    failure_mark = "<line class=\"failure-mark\" x1=\"" + Num(scale.X(steps)) + "\" x2=\"" +
                   Num(scale.X(steps)) + "\" y1=\"" + Num(kAxisHeight - 6) + "\" y2=\"" +
                   Num(height) + "\"/><text class=\"failure-label\" x=\"" +
                   Num(scale.X(steps) + 4) + "\" y=\"" + Num(kAxisHeight - 8) + "\">" +
                   Field(t["failure"], "kind") + " at step " + std::to_string(steps) + "</text>";
  }
  if (cut.is_object() && cut.contains("schedule_step")) {
    const uint64_t at = cut.value("schedule_step", uint64_t{0});
    failure_mark +=
        "<line class=\"power-cut-mark\" data-step=\"" + std::to_string(at) + "\" x1=\"" +
        Num(scale.X(at)) + "\" x2=\"" + Num(scale.X(at)) + "\" y1=\"" + Num(kAxisHeight - 6) +
        "\" y2=\"" + Num(height) + "\"><title>the power cut: step " + std::to_string(at) +
        "</title></line><text class=\"power-cut-label\" x=\"" + Num(scale.X(at) + 4) + "\" y=\"" +
        Num(height - 4) + "\">power cut at step " + std::to_string(at) + "</text>";
  }
  std::string out =
      "<h3>Timeline</h3>\n<p class=\"muted\">The minimized schedule replayed: one "
      "lane per fiber; blue while it runs, ";
  out +=
      "<span style=\"color:#ef6c00\">▼</span> a preemption, circles lock (orange), wait "
      "(purple) and join points, hatched red while blocked, green diamonds what the code "
      "said it holds (hover for text).";
  if (origin > 0) {
    out += " Steps 0 to " + std::to_string(origin) +
           " (the body alone, setting up, before its threads run) are folded.";
  }
  if (cut.is_object() && cut.contains("schedule_step")) {
    out += " The purple line is the power cut: the crasher's turn.";
  }
  if (t.value("points_dropped", 0) > 0) {
    out += " The first " + Field(t, "points_dropped") + " points are not drawn.";
  }
  out += "</p>\n<div class=\"scroll to-end\"><svg class=\"timeline\" width=\"" + Num(width) +
         "\" height=\"" + Num(height) + "\" data-steps=\"" + std::to_string(steps) +
         "\"><defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
         "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#ffebee\"/>"
         "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#c62828\" stroke-width=\"2\"/>"
         "</pattern></defs>\n" +
         Axis(scale, steps, height, "step") + lanes + runs + marks + failure_mark +
         "</svg></div>\n";
  out +=
      "<h3>Each fiber at the end</h3>\n<table class=\"fibers\"><thead><tr><th>fiber</th>"
      "<th>state</th><th>what it said last</th></tr></thead><tbody>\n";
  for (uint32_t fiber = 0; fiber < fibers; ++fiber) {
    const FiberState& s = state[fiber];
    std::string said;
    const size_t first = s.notes.size() > 3 ? s.notes.size() - 3 : 0;
    for (size_t i = first; i < s.notes.size(); ++i) said += EscapeHtml(s.notes[i]) + "<br>";
    out += "<tr data-fiber=\"" + std::to_string(fiber) + "\"><td>fiber " + std::to_string(fiber) +
           "</td><td>" +
           (s.blocked_since >= 0 ? "blocked: " + s.blocked_on : "ran to its end or was unwound") +
           "</td><td class=\"mono\">" + said + "</td></tr>\n";
  }
  return out + "</tbody></table>\n";
}

namespace {

struct Bar {
  uint64_t process = 0;
  size_t call = 0, done = 0;  // event positions
  std::string type;           // ok, fail, info, or "" (never completed)
  json invoke;
  json completion;
};

std::string Label(const Bar& bar) {
  const json& e = bar.invoke;
  const std::string f = e.value("f", "?");
  auto shown = [](const json& v) { return v.is_string() ? "\"" + Raw(v) + "\"" : Raw(v); };
  std::string value = e.contains("value") ? shown(e["value"]) : "null";
  if (f == "read" || f == "exists") {
    value = bar.completion.contains("value") ? shown(bar.completion["value"]) : "?";
    return f.substr(0, 1) + " " + e.value("key", "") + " → " + value;
  }
  return f.substr(0, 1) + " " + e.value("key", "") + " = " + value;
}

}  // namespace

std::string HistoryBars(const json& events, const std::string& highlight_key, const json& marked,
                        const char* marked_class) {
  std::vector<Bar> bars;
  std::map<uint64_t, size_t> open;  // process -> its bar
  std::map<uint64_t, size_t> row_of;
  std::vector<size_t> crashes;
  for (size_t i = 0; i < events.size(); ++i) {
    const json& e = events[i];
    const std::string type = e.value("type", "");
    if (type == "crash") {
      crashes.push_back(i);
      for (const auto& [process, bar] : open) bars[bar].done = i;
      open.clear();
      continue;
    }
    const uint64_t process = e.value("process", uint64_t{0});
    row_of.emplace(process, 0);
    if (type == "invoke") {
      open[process] = bars.size();
      bars.push_back({process, i, events.size(), "", e, nullptr});
    } else if (auto it = open.find(process); it != open.end()) {
      bars[it->second].done = i;
      bars[it->second].type = type;
      bars[it->second].completion = e;
      open.erase(it);
    }
  }
  size_t row = 0;
  for (auto& [process, r] : row_of) r = row++;
  std::vector<bool> is_marked(events.size(), false);
  if (marked.is_array()) {
    for (const json& m : marked) {
      if (m.is_number_unsigned() && m.get<size_t>() < events.size())
        is_marked[m.get<size_t>()] = true;
    }
  }
  const Scale scale(events.size(), 28);
  const double lane = 20;
  const double height = kAxisHeight + static_cast<double>(row_of.size()) * lane + 6;
  const double width = scale.X(events.size()) + 20;
  std::string out = "<div class=\"scroll\"><svg class=\"history\" width=\"" + Num(width) +
                    "\" height=\"" + Num(height) + "\" data-operations=\"" +
                    std::to_string(bars.size()) + "\">\n" +
                    Axis(scale, events.size(), height, "event");
  for (const auto& [process, r] : row_of) {
    out += "<text x=\"6\" y=\"" + Num(kAxisHeight + r * lane + 14) + "\">process " +
           std::to_string(process) + "</text>";
  }
  out += "\n";
  for (size_t crash : crashes) {
    out += "<line class=\"failure-mark\" x1=\"" + Num(scale.X(crash)) + "\" x2=\"" +
           Num(scale.X(crash)) + "\" y1=\"" + Num(kAxisHeight) + "\" y2=\"" + Num(height) +
           "\"><title>power cut</title></line>";
  }
  for (const Bar& bar : bars) {
    std::string cls = "op";
    if (bar.type == "info" || bar.type.empty()) cls += " info";
    if (bar.type == "fail") cls += " failed";
    if (!highlight_key.empty() && bar.invoke.value("key", "") == highlight_key) cls += " hl";
    if (is_marked[bar.call]) cls += " " + std::string(marked_class);
    const double x = scale.X(bar.call);
    const double w = std::max(2.0, static_cast<double>(bar.done - bar.call) * scale.per_unit);
    const double y = kAxisHeight + static_cast<double>(row_of[bar.process]) * lane + 3;
    const std::string label = EscapeHtml(Label(bar));
    out += "<g class=\"" + cls + "\" data-call=\"" + std::to_string(bar.call) +
           "\"><rect class=\"" + cls + "\" x=\"" + Num(x) + "\" y=\"" + Num(y) + "\" width=\"" +
           Num(w) + "\" height=\"" + Num(lane - 6) + "\" rx=\"3\"/><title>" + label + " (" +
           (bar.type.empty() ? "never returned" : EscapeHtml(bar.type)) + ")</title>";
    if (w > 7.0 * static_cast<double>(label.size()) * 0.9 && label.size() < 60) {
      out += "<text x=\"" + Num(x + 3) + "\" y=\"" + Num(y + 11) + "\">" + label + "</text>";
    }
    out += "</g>\n";
  }
  return out + "</svg></div>\n";
}

}  // namespace shardstore::checker::report
