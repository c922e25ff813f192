// RunOutput: the files a run leaves besides its results (what it prints: campaign_report.h).
// WriteRunFiles writes the HTML report (report.h) and the JUnit XML (junit.h) a run was asked
// for, from the run's own records: nothing runs again.
//
// Thread-safety: pure functions (and file writes).
#pragma once

#include <nlohmann/json.hpp>
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

// The object `--json` prints for a run that keeps no campaign report: its suite, result,
// summary and finding records.
nlohmann::json RunDocument(const SummaryRecord& summary,
                           const std::vector<FindingRecord>& findings);

// `run_json`: the object `--json` prints for this run (the report draws it).
Status WriteRunFiles(const RunFiles& files, const nlohmann::json& run_json,
                     const SummaryRecord& summary, const std::vector<FindingRecord>& findings);
Status WriteMergeFiles(const RunFiles& files, const MergeReport& merge);

// Writes `text` to `path`; IOError naming the file.
Status WriteTextFile(const std::string& path, const std::string& text);

}  // namespace shardstore::checker
