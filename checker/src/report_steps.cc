// Report parts for sequences of ops: the steps table (conformance, crash) and the power cut.
#include <map>
#include <string>
#include <vector>

#include "report_parts.h"
#include "shardstore/checker/report.h"

namespace shardstore::checker::report {
namespace {

std::string Row(size_t number, const std::string& step, const json& result, bool failed,
                const std::string& anchor) {
  std::string engine, model;
  if (result.is_array() && result.size() == 2) {
    engine = Text(result[0]);
    model = Text(result[1]);
  }
  std::string out = failed ? "<tr class=\"divergence\" id=\"" + anchor + "\">" : "<tr>";
  out += "<td class=\"num\">" + std::to_string(number) + "</td><td class=\"mono\">" + step +
         (failed ? "<span class=\"tag bad\">first divergence</span>" : "") + "</td>";
  out += "<td class=\"mono\">" + engine + "</td><td class=\"mono\">" + model + "</td></tr>\n";
  return out;
}

}  // namespace

std::string StepsTable(const json& f, size_t index) {
  if (!f.contains("steps") || !f["steps"].is_array()) return "";
  const json& steps = f["steps"];
  const json results = f.contains("step_results") ? f["step_results"] : json::array();
  const int64_t failed = f.value("failed_step", int64_t{-1});
  const std::string anchor = "divergence-" + std::to_string(index);
  std::string out = "<h3>Minimized steps</h3>\n";
  if (failed < 0) {
    out +=
        "<p class=\"muted\">This record does not say which step failed (written before "
        "records carried it); the violation is above.</p>\n";
  }
  out +=
      "<table class=\"steps\"><thead><tr><th class=\"num\">#</th><th>step</th>"
      "<th>engine returned</th><th>the model holds</th></tr></thead><tbody>\n";
  for (size_t i = 0; i < steps.size(); ++i) {
    const json result = i < results.size() ? results[i] : json(nullptr);
    out += Row(i + 1, Text(steps[i]), result, static_cast<int64_t>(i) == failed, anchor);
  }
  if (failed >= 0 && static_cast<size_t>(failed) >= steps.size()) {
    const json result = steps.size() < results.size() ? results[steps.size()] : json(nullptr);
    out += Row(steps.size() + 1, "the end-of-sequence checks", result, true, anchor);
  }
  out += "</tbody></table>\n";
  if (failed >= 0) {
    out += "<p>Step " + std::to_string(failed + 1) + " is where the engine first did what the " +
           "model does not allow: " + Field(f, "violation") + "</p>\n";
  }
  return out;
}

std::string PowerCutStrip(const json& f) {
  if (!f.contains("power_cut") || !f["power_cut"].is_object()) return "";
  const json& cut = f["power_cut"];
  const uint64_t sectors = cut.value("sectors_per_page", uint64_t{8});
  const uint64_t step = cut.value("step", uint64_t{0});
  const json& steps = f.contains("steps") ? f["steps"] : json::array();
  std::string out = "<h3>The power cut</h3>\n";
  if (cut.contains("schedule_step")) {
    // Crash-concurrency: the cut is a scheduling point (the crasher's turn), not an op.
    out += "<p class=\"joint-cut\" data-schedule-step=\"" + Field(cut, "schedule_step") +
           "\">Power was cut at scheduling point " + Field(cut, "schedule_step") +
           ", when the crasher (fiber " + Field(cut, "crasher") + ") ran, after " +
           Field(cut, "ops_before_cut") +
           " client operations had begun; the crash plan: " + Field(cut, "plan") +
           ". The writes pending then, per extent, oldest first, and what the crash kept of "
           "each:</p>\n";
  } else {
    out += "<p>Power was cut at step " + std::to_string(step + 1) +
           (step < steps.size() ? " (<span class=\"mono\">" + Text(steps[step]) + "</span>)"
                                : std::string(" (the end-of-sequence checks)")) +
           ". The writes still pending at that barrier, per extent, oldest first, and "
           "what the crash kept of each:</p>\n";
  }
  out +=
      "<p class=\"legend\"><span><i class=\"swatch\" style=\"background:#c8e6c9\"></i>kept"
      "</span><span><i class=\"swatch\" style=\"background:#ffcdd2\"></i>lost</span><span>"
      "<i class=\"swatch\" style=\"background:linear-gradient(90deg,#c8e6c9 50%,#ffcdd2 50%)"
      "\"></i>torn: a prefix of its sectors kept</span></p>\n<div class=\"power-cut\">\n";
  std::map<uint64_t, std::vector<json>> by_extent;
  const json pages = cut.contains("pages") ? cut["pages"] : json::array();
  for (const json& page : pages) by_extent[page.value("extent", uint64_t{0})].push_back(page);
  if (by_extent.empty()) out += "<p class=\"muted\">No write was pending: nothing to lose.</p>\n";
  for (const auto& [extent, list] : by_extent) {
    out += "<div class=\"strip\" data-extent=\"" + std::to_string(extent) +
           "\"><span class=\"label\">extent " + std::to_string(extent) + "</span>";
    for (const json& page : list) {
      const uint64_t kept = page.value("sectors_kept", uint64_t{0});
      const uint64_t torn_bytes = page.value("torn_bytes", uint64_t{0});
      const std::string offset = std::to_string(page.value("offset", uint64_t{0}));
      std::string cls = "lost", what = "lost";
      if (kept >= sectors) {
        cls = what = "kept";
      } else if (kept > 0 || torn_bytes > 0) {
        cls = "torn";
        what = "torn at sector " + std::to_string(kept) +
               (torn_bytes > 0 ? " +" + std::to_string(torn_bytes) + " B" : "");
      }
      const uint64_t percent = (kept * 100) / (sectors == 0 ? 1 : sectors);
      out += "<div class=\"page " + cls + "\" style=\"--kept:" + std::to_string(percent) +
             "%\" title=\"extent " + std::to_string(extent) + ", offset " + offset + ": " + what +
             "\"><span>@" + offset + "</span><span>" + what + "</span></div>";
    }
    out += "</div>\n";
  }
  out += "</div>\n";
  const int64_t failed = f.value("failed_step", int64_t{-1});
  const json results = f.contains("step_results") ? f["step_results"] : json::array();
  const json failed_result = failed >= 0 && static_cast<size_t>(failed) < results.size()
                                 ? results[static_cast<size_t>(failed)]
                                 : json(nullptr);
  if (failed_result.is_array() && failed_result.size() == 2 && failed_result[0].is_string() &&
      !failed_result[0].get<std::string>().empty()) {
    out += "<p>After recovery, step " + std::to_string(failed + 1) + " read <b class=\"mono\">" +
           Text(failed_result[0]) + "</b>; the crash semantics allow <b class=\"mono\">" +
           Text(failed_result[1]) + "</b>.</p>\n";
  } else {
    out += "<p>What recovery returned against what the crash semantics allow: " +
           Field(f, "violation") + "</p>\n";
  }
  return out;
}

}  // namespace shardstore::checker::report
