// Report part for a user's history (linearize): bars, the longest partial linearization, and
// the operations it could not place.
#include <string>

#include "report_parts.h"
#include "shardstore/checker/report.h"

namespace shardstore::checker::report {
namespace {

constexpr size_t kListedMax = 60;  // the end of a long linearization is where it got stuck

std::string Operation(const json& history, const json& position) {
  if (!position.is_number_unsigned() || position.get<size_t>() >= history.size()) return "?";
  const json& e = history[position.get<size_t>()];
  return "process " + Field(e, "process") + ": " + Field(e, "f") + " " + Field(e, "key") +
         (e.contains("value") && !e["value"].is_null() ? " " + Text(e["value"]) : "") +
         " <span class=\"muted\">(event " + std::to_string(position.get<size_t>()) + ")</span>";
}

std::string EventsTable(const json& events) {
  std::string out =
      "<table class=\"events\"><thead><tr><th>process</th><th>type</th><th>f</th>"
      "<th>key</th><th>value</th></tr></thead><tbody>\n";
  for (const json& e : events) {
    out += "<tr><td class=\"num\">" + Field(e, "process") + "</td><td>" + Field(e, "type") +
           "</td><td>" + Field(e, "f") + "</td><td class=\"mono\">" + Field(e, "key") +
           "</td><td class=\"mono\">" + Field(e, "value") + "</td></tr>\n";
  }
  return out + "</tbody></table>\n";
}

}  // namespace

std::string LinearizeBody(const json& l) {
  const std::string result = l.value("result", "");
  std::string out = "<section class=\"linearize\">\n<h2>" +
                    std::string(result == "violation" ? "Not linearizable"
                                : result == "pass"    ? "Linearizable"
                                                      : "Unknown") +
                    "</h2>\n<dl class=\"facts\"><dt>model</dt><dd>" + Field(l, "model") +
                    "</dd><dt>operations</dt><dd>" + Field(l, "operations") + " on " +
                    Field(l, "keys") + " keys</dd><dt>search states</dt><dd>" + Field(l, "states") +
                    "</dd>";
  if (l.contains("key")) out += "<dt>key</dt><dd>" + Field(l, "key") + "</dd>";
  out += "</dl>\n";
  if (result == "unknown") {
    out += "<p class=\"violation\">No verdict: " + Field(l, "reason") + "</p>\n";
  }
  const json history = l.contains("history") ? l["history"] : json::array();
  const json partial = l.contains("longest_partial") ? l["longest_partial"] : json::array();
  const json unplaced = l.contains("unplaced") ? l["unplaced"] : json::array();
  if (result == "violation") {
    out += "<p class=\"violation\">Key " + Field(l, "key") + " has no order of its operations, " +
           "each taking effect between its call and its return, in which every read sees the " +
           "write before it. " + std::to_string(unplaced.size()) +
           " completed operations could not be placed after the longest partial order (" +
           std::to_string(partial.size()) + " operations).</p>\n";
  }
  if (!history.empty()) {
    out +=
        "<h3>History</h3><p class=\"muted\">One bar per operation, from its call to its return"
        "; the key that fails stands out, and the operations that could not be placed are "
        "red.</p>\n" +
        HistoryBars(history, l.value("key", ""), unplaced, "unplaced");
  }
  if (!partial.empty()) {
    out += "<h3>Longest partial linearization</h3>\n";
    size_t first = 0;
    if (partial.size() > kListedMax) {
      first = partial.size() - kListedMax;
      out += "<p class=\"muted\">The first " + std::to_string(first) + " of " +
             std::to_string(partial.size()) + " are not listed.</p>\n";
    }
    out += "<ol class=\"partial notes\" start=\"" + std::to_string(first + 1) + "\">";
    for (size_t i = first; i < partial.size(); ++i) {
      out += "<li>" + Operation(history, partial[i]) + "</li>";
    }
    out += "</ol>\n";
  }
  if (!unplaced.empty()) {
    out += "<h3>Operations that could not be placed</h3>\n<ul class=\"unplaced notes\">";
    for (size_t i = 0; i < unplaced.size() && i < kListedMax; ++i) {
      out += "<li>" + Operation(history, unplaced[i]) + "</li>";
    }
    out += "</ul>\n";
  }
  if (l.contains("minimal") && l["minimal"].is_array()) {
    out += "<h3>A minimal non-linearizable sub-history</h3>\n" + EventsTable(l["minimal"]);
  }
  return out + "</section>\n";
}

}  // namespace shardstore::checker::report
