// Report part for crash-concurrency: the case (operations per thread, the cut, how it was found
// and minimized) and its size before and after minimization.
#include <string>

#include "report_parts.h"
#include "shardstore/checker/report.h"

namespace shardstore::checker::report {

std::string JointCase(const json& f) {
  std::string out;
  if (f.contains("steps") && f["steps"].is_array() && !f["steps"].empty()) {
    out +=
        "<h3>The case</h3><p class=\"muted\">The minimized operations per thread (setup alone "
        "first, the threads until the power cut, the after-recovery threads), where the power "
        "was cut, and how the case was found and minimized.</p><ol class=\"notes joint-case\">";
    for (const json& step : f["steps"]) out += "<li>" + Text(step) + "</li>";
    out += "</ol>\n";
  }
  if (!f.contains("sizes") || !f["sizes"].is_object()) return out;
  const json& sizes = f["sizes"];
  out += "<h3>Size</h3><table class=\"sizes\"><thead><tr><th></th>";
  constexpr const char* kColumns[][2] = {
      {"ops", "operations"},          {"preemptions", "preemptions"},
      {"steps", "scheduling points"}, {"crash_step", "power cut at point"},
      {"kept_pages", "pages kept"},   {"pending_pages", "pages pending"}};
  for (const auto& column : kColumns)
    out += "<th class=\"num\">" + std::string(column[1]) + "</th>";
  out += "</tr></thead><tbody>";
  for (const char* row : {"found", "minimized"}) {
    if (!sizes.contains(row) || !sizes[row].is_object()) continue;
    out += "<tr data-size=\"" + std::string(row) + "\"><td>" + row + "</td>";
    for (const auto& column : kColumns) {
      out += "<td class=\"num\">" + Field(sizes[row], column[0]) + "</td>";
    }
    out += "</tr>";
  }
  return out + "</tbody></table>\n";
}

}  // namespace shardstore::checker::report
