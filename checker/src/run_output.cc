#include "shardstore/checker/run_output.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "shardstore/checker/junit.h"
#include "shardstore/checker/report.h"

namespace shardstore::checker {
namespace {

constexpr size_t kBlindSpotsListed = 40;  // a terminal's worth; --coverage lists every one

void PrintCoverage(std::ostream& os, const SummaryRecord& summary, bool full) {
  if (!summary.op_coverage.empty()) {
    os << "  ops:";
    for (const auto& [op, hits] : summary.op_coverage) os << " " << op << " " << hits;
    os << "\n";
  }
  std::vector<std::string> blind;
  for (const auto& [path, hits] : summary.path_coverage) {
    if (hits == 0) blind.push_back(path);
  }
  if (full) {
    os << "  engine paths (0 = never reached):\n";
    for (const auto& [path, hits] : summary.path_coverage) {
      char line[32];
      std::snprintf(line, sizeof line, "%10llu  ", static_cast<unsigned long long>(hits));
      os << "    " << line << path << "\n";
    }
    return;
  }
  os << "  engine paths: " << summary.path_coverage.size() - blind.size() << " of "
     << summary.path_coverage.size() << " reached";
  if (blind.empty()) {
    os << "\n";
    return;
  }
  os << "; blind spots (never reached):\n";
  for (size_t i = 0; i < blind.size() && i < kBlindSpotsListed; ++i) os << "    " << blind[i] << "\n";
  if (blind.size() > kBlindSpotsListed) {
    os << "    ... and " << blind.size() - kBlindSpotsListed << " more (--coverage lists them)\n";
  }
}

}  // namespace

void PrintRunSummary(std::ostream& os, const SummaryRecord& summary, bool full_coverage) {
  for (const auto& [harness, t] : summary.harnesses) {
    const bool concurrency = summary.suite == "concurrency";
    os << summary.suite << "[" << harness << "] seed " << summary.campaign_seed;
    if (summary.shard.count > 1) os << " shard " << summary.shard.ToString();
    if (!summary.bug.empty()) os << ", seeded bug " << summary.bug;
    os << ": " << t.sequences << (concurrency ? " schedules, " : " sequences, ")
       << (concurrency ? t.steps : t.ops) << (concurrency ? " steps" : " ops") << " in "
       << t.seconds << " s";
    if (t.seconds > 0) {
      os << " (" << static_cast<uint64_t>(static_cast<double>(t.sequences) / t.seconds)
         << (concurrency ? " schedules/s)" : " seq/s)");
    }
    os << (t.findings == 0 ? ", no failure" : "") << "\n";
    if (t.crash_states > 0) {
      os << "  crash states recovered and checked: " << t.crash_states << "\n";
    }
  }
  PrintCoverage(os, summary, full_coverage);
  if (summary.stopped_by == "time-budget") {
    os << "the time budget (" << summary.time_budget_seconds << " s) ran out\n";
  }
}

void PrintRunFinding(std::ostream& os, const FindingRecord& f, const std::string& report_path) {
  os << "\nVIOLATION (" << f.kind << ") in " << f.suite << "[" << f.harness
     << "]: " << f.violation << "\n(sequence " << f.sequence << ", seed " << f.seed << ", shard "
     << f.shard.ToString() << ")\nminimized from " << f.found_length << " to "
     << f.minimized_length << " " << f.length_unit << ":\n";
  for (const std::string& step : f.steps) os << "  " << step << "\n";
  os << "\nreplay: " << f.replay << "\n";
  if (!report_path.empty()) {
    os << "report: " << report_path << " (the steps, "
       << (f.suite == "concurrency" ? "the timeline, the history" : "engine beside model")
       << ", and the GoogleTest with a copy button)\n";
  } else {
    os << "report: add --report FILE.html (or --results DIR, then `shardcheck report`)\n";
  }
  if (!f.gtest.empty()) os << "\nGoogleTest for tests/regress/:\n" << f.gtest;
}

Status WriteTextFile(const std::string& path, const std::string& text) {
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) return Status::IOError("cannot write " + path + ": " + std::strerror(errno));
  const bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
  if (std::fclose(file) != 0 || !written) {
    return Status::IOError("cannot write " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

Status WriteRunFiles(const RunFiles& files, const nlohmann::json& run_json,
                     const SummaryRecord& summary, const std::vector<FindingRecord>& findings) {
  if (!files.report_path.empty()) {
    StatusOr<ReportInput> input = ReportInputFromJson(run_json);
    if (!input.ok()) return input.status();
    SS_RETURN_IF_ERROR(WriteTextFile(files.report_path, RenderReport(*input)));
  }
  if (!files.junit_path.empty()) {
    SS_RETURN_IF_ERROR(WriteTextFile(files.junit_path, JUnitXml(summary, findings)));
  }
  return Status::Ok();
}

Status WriteMergeFiles(const RunFiles& files, const MergeReport& merge) {
  if (!files.report_path.empty()) {
    StatusOr<ReportInput> input = ReportInputFromJson(MergeJson(merge));
    if (!input.ok()) return input.status();
    SS_RETURN_IF_ERROR(WriteTextFile(files.report_path, RenderReport(*input)));
  }
  if (!files.junit_path.empty()) {
    SS_RETURN_IF_ERROR(WriteTextFile(files.junit_path, JUnitXml(merge)));
  }
  return Status::Ok();
}

}  // namespace shardstore::checker
