// RunOutput: what a suite's run prints in a terminal and leaves in files.
//
// By default a run prints, per harness, one summary line, and then the engine paths it never
// reached (its blind spots); `full_coverage` prints every counter as well. A finding prints, in
// this order: what went wrong in one sentence, the minimized steps, the replay command, then
// where the HTML report is (when one was written) and the GoogleTest to paste.
// WriteRunFiles writes the HTML report (report.h) and the JUnit XML (junit.h) a run was asked
// for, from the run's own records: nothing runs again.
//
// Thread-safety: pure functions (and file writes).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "shardstore/checker/merge.h"
#include "shardstore/checker/results.h"
#include "shardstore/status.h"

namespace shardstore::checker {

struct RunFiles {
  std::string report_path;  // --report: the HTML page; empty: none
  std::string junit_path;   // --junit: JUnit XML; empty: none
};

void PrintRunSummary(std::ostream& os, const SummaryRecord& summary, bool full_coverage);
// `report_path`: where the HTML report of this run is, or empty.
void PrintRunFinding(std::ostream& os, const FindingRecord& finding,
                     const std::string& report_path);

// `run_json`: the object `--json` prints for this run (the report draws it).
Status WriteRunFiles(const RunFiles& files, const nlohmann::json& run_json,
                     const SummaryRecord& summary, const std::vector<FindingRecord>& findings);
Status WriteMergeFiles(const RunFiles& files, const MergeReport& merge);

// Writes `text` to `path`; IOError naming the file.
Status WriteTextFile(const std::string& path, const std::string& text);

}  // namespace shardstore::checker
