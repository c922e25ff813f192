// Report part for a campaign: totals per suite, coverage with the blind spots first, and the
// findings by signature, each linking to its own section.
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "report_parts.h"
#include "shardstore/checker/report.h"

namespace shardstore::checker::report {
namespace {

struct Totals {
  uint64_t shards = 0, sequences = 0, ops = 0, crash_states = 0, steps = 0, findings = 0;
  double seconds = 0;
};

void Add(const json& t, Totals* totals) {
  totals->sequences += t.value("sequences", uint64_t{0});
  totals->ops += t.value("ops", uint64_t{0});
  totals->crash_states += t.value("crash_states", uint64_t{0});
  totals->steps += t.value("steps", uint64_t{0});
  totals->findings += t.value("findings", uint64_t{0});
  totals->seconds += t.value("seconds", 0.0);
}

std::string TotalsTable(const std::map<std::string, Totals>& totals) {
  std::string out =
      "<h3>Totals</h3>\n<table class=\"totals\"><thead><tr><th>suite[harness]</th>"
      "<th class=\"num\">shards</th><th class=\"num\">sequences or schedules</th>"
      "<th class=\"num\">ops</th><th class=\"num\">crash states</th>"
      "<th class=\"num\">steps</th><th class=\"num\">findings</th>"
      "<th class=\"num\">seconds</th></tr></thead><tbody>\n";
  for (const auto& [name, t] : totals) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f", t.seconds);
    out += "<tr><td class=\"mono\">" + EscapeHtml(name) + "</td><td class=\"num\">" +
           std::to_string(t.shards) + "</td><td class=\"num\">" + std::to_string(t.sequences) +
           "</td><td class=\"num\">" + std::to_string(t.ops) + "</td><td class=\"num\">" +
           std::to_string(t.crash_states) + "</td><td class=\"num\">" + std::to_string(t.steps) +
           "</td><td class=\"num\">" + std::to_string(t.findings) + "</td><td class=\"num\">" +
           seconds + "</td></tr>\n";
  }
  return out + "</tbody></table>\n";
}

std::string CoverageTable(const std::map<std::string, uint64_t>& paths) {
  std::vector<std::pair<std::string, uint64_t>> rows(paths.begin(), paths.end());
  // Blind spots first (by name), then the least reached.
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.second < b.second; });
  const size_t blind = static_cast<size_t>(
      std::count_if(rows.begin(), rows.end(), [](const auto& r) { return r.second == 0; }));
  std::string out = "<h3>Coverage</h3>\n<p>" + std::to_string(blind) + " of " +
                    std::to_string(rows.size()) +
                    " engine paths were never reached (the blind spots, first).</p>\n"
                    "<table class=\"coverage\"><thead><tr><th>engine path</th>"
                    "<th class=\"num\">hits</th></tr></thead><tbody>\n";
  for (const auto& [path, hits] : rows) {
    out += std::string(hits == 0 ? "<tr class=\"blind\">" : "<tr>") + "<td class=\"mono\">" +
           EscapeHtml(path) + (hits == 0 ? "<span class=\"tag bad\">blind spot</span>" : "") +
           "</td><td class=\"num\">" + std::to_string(hits) + "</td></tr>\n";
  }
  return out + "</tbody></table>\n";
}

std::string FindingsTable(const json& merge, const json& findings) {
  std::map<std::string, uint64_t> count;  // signature -> records
  for (const json& f : findings) count[f.value("signature", "")] += f.value("records", uint64_t{1});
  std::string out = "<h3>Findings by signature</h3>\n";
  if (findings.empty()) return out + "<p>None.</p>\n";
  out +=
      "<table class=\"findings\"><thead><tr><th>signature</th><th>suite[harness]</th>"
      "<th>kind</th><th>violation</th><th class=\"num\">records</th>" +
      std::string(merge.is_object() ? "<th class=\"num\">shards</th>" : "") +
      "</tr></thead><tbody>\n";
  std::map<std::string, bool> listed;
  for (size_t i = 0; i < findings.size(); ++i) {
    const json& f = findings[i];
    const std::string signature = f.value("signature", "");
    if (listed[signature]) continue;
    listed[signature] = true;
    out += "<tr><td class=\"mono\"><a href=\"#finding-" + std::to_string(i) + "\">" +
           EscapeHtml(signature) + "</a></td><td>" + Field(f, "suite") + "[" + Field(f, "harness") +
           "]</td><td>" + Field(f, "kind") + "</td><td>" + Field(f, "violation") +
           "</td><td class=\"num\">" + std::to_string(count[signature]) + "</td>" +
           (merge.is_object() ? "<td class=\"num\">" + Field(f, "shards_hit") + "</td>" : "") +
           "</tr>\n";
  }
  return out + "</tbody></table>\n";
}

}  // namespace

std::string CampaignBody(const json& merge, const json& summaries, const json& findings) {
  std::map<std::string, Totals> totals;
  std::map<std::string, uint64_t> paths;
  if (merge.is_object()) {
    const json by_suite = merge.value("totals", json::object());
    for (const auto& [suite, harnesses] : by_suite.items()) {
      for (const auto& [harness, t] : harnesses.items()) {
        Totals& row = totals[suite + "[" + harness + "]"];
        Add(t, &row);
        row.shards += t.value("shards", uint64_t{0});
      }
    }
    const json hits_by_path =
        merge.value("coverage", json::object()).value("paths", json::object());
    for (const auto& [path, hits] : hits_by_path.items()) {
      paths[path] += hits.get<uint64_t>();
    }
  }
  for (const json& s : summaries) {
    const json harnesses = s.value("harnesses", json::object());
    for (const auto& [harness, t] : harnesses.items()) {
      Totals& row = totals[s.value("suite", "?") + "[" + harness + "]"];
      Add(t, &row);
      ++row.shards;
    }
    const json hits_by_path = s.value("coverage", json::object()).value("paths", json::object());
    for (const auto& [path, hits] : hits_by_path.items()) {
      paths[path] += hits.get<uint64_t>();
    }
  }
  std::string out = "<section class=\"campaign\">\n<h2>Campaign</h2>\n";
  if (merge.is_object()) {
    for (const char* list : {"errors", "warnings"}) {
      for (const json& line : merge.value(list, json::array())) {
        out += "<p class=\"violation\">" + std::string(list) + ": " + Text(line) + "</p>\n";
      }
    }
  }
  out += TotalsTable(totals) + FindingsTable(merge, findings);
  if (!paths.empty()) out += CoverageTable(paths);
  return out + "</section>\n";
}

}  // namespace shardstore::checker::report
