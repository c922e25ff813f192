#include "shardstore/checker/junit.h"

#include <cstdio>
#include <map>

#include "shardstore/checker/report.h"

namespace shardstore::checker {
namespace {

struct Case {
  HarnessTotals totals;
  std::vector<const FindingRecord*> findings;
};
using Suites = std::map<std::string, std::map<std::string, Case>>;  // suite -> harness -> case

std::string Seconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", seconds);
  return text;
}

std::string FailureText(const std::vector<const FindingRecord*>& findings) {
  std::string text;
  for (const FindingRecord* f : findings) {
    text += f->kind + ": " + f->violation + "\n\nminimized from " +
            std::to_string(f->found_length) + " to " + std::to_string(f->minimized_length) + " " +
            f->length_unit + ":\n";
    for (const std::string& step : f->steps) text += "  " + step + "\n";
    text += "\nreplay: " + f->replay + "\n";
    if (!f->gtest.empty()) text += "\nGoogleTest for tests/regress/:\n" + f->gtest;
    text += "\n";
  }
  return text;
}

std::string Xml(const Suites& suites, const std::string& commit, const std::string& error) {
  uint64_t tests = 0, failures = 0;
  double seconds = 0;
  std::string body;
  for (const auto& [suite, cases] : suites) {
    uint64_t suite_failures = 0;
    double suite_seconds = 0;
    std::string testcases;
    for (const auto& [harness, c] : cases) {
      suite_seconds += c.totals.seconds;
      testcases += "    <testcase name=\"" + EscapeXml(harness) + "\" classname=\"shardcheck." +
                   EscapeXml(suite) + "\" time=\"" + Seconds(c.totals.seconds) + "\">\n";
      if (!c.findings.empty()) {
        ++suite_failures;
        const FindingRecord& first = *c.findings.front();
        testcases += "      <failure message=\"" + EscapeXml(first.violation) + "\" type=\"" +
                     EscapeXml(first.kind) + "\">" + EscapeXml(FailureText(c.findings)) +
                     "</failure>\n";
      }
      testcases += "      <system-out>" + std::to_string(c.totals.sequences) +
                   " sequences (schedules), " + std::to_string(c.totals.ops) + " ops, " +
                   std::to_string(c.totals.crash_states) + " crash states, " +
                   std::to_string(c.totals.steps) + " scheduling steps</system-out>\n";
      testcases += "    </testcase>\n";
    }
    tests += cases.size();
    failures += suite_failures;
    seconds += suite_seconds;
    body += "  <testsuite name=\"" + EscapeXml(suite) + "\" tests=\"" +
            std::to_string(cases.size()) + "\" failures=\"" + std::to_string(suite_failures) +
            "\" errors=\"0\" skipped=\"0\" time=\"" + Seconds(suite_seconds) + "\">\n" +
            "    <properties><property name=\"commit\" value=\"" + EscapeXml(commit) +
            "\"/></properties>\n" + testcases + "  </testsuite>\n";
  }
  if (!error.empty()) {
    ++tests;
    body +=
        "  <testsuite name=\"merge\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" "
        "time=\"0\">\n    <testcase name=\"input\" classname=\"shardcheck.merge\" time=\"0\">\n"
        "      <error message=\"the results do not merge\" type=\"input\">" +
        EscapeXml(error) + "</error>\n    </testcase>\n  </testsuite>\n";
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"shardcheck\" tests=\"" +
         std::to_string(tests) + "\" failures=\"" + std::to_string(failures) + "\" errors=\"" +
         (error.empty() ? "0" : "1") + "\" time=\"" + Seconds(seconds) + "\">\n" + body +
         "</testsuites>\n";
}

}  // namespace

std::string JUnitXml(const SummaryRecord& summary, const std::vector<FindingRecord>& findings) {
  Suites suites;
  for (const auto& [harness, totals] : summary.harnesses) {
    suites[summary.suite][harness].totals = totals;
  }
  for (const FindingRecord& f : findings) suites[f.suite][f.harness].findings.push_back(&f);
  return Xml(suites, summary.build.commit, "");
}

std::string JUnitXml(const MergeReport& merge) {
  Suites suites;
  for (const auto& [suite, harnesses] : merge.totals) {
    for (const auto& [harness, merged] : harnesses) suites[suite][harness].totals = merged.totals;
  }
  for (const MergedFinding& f : merge.findings) {
    suites[f.best.suite][f.best.harness].findings.push_back(&f.best);
  }
  std::string error;
  for (const std::string& e : merge.errors) error += e + "\n";
  return Xml(suites, merge.commits.empty() ? "" : merge.commits.front(), error);
}

}  // namespace shardstore::checker
