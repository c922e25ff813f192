#include "shardstore/checker/run_output.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "shardstore/checker/junit.h"
#include "shardstore/checker/report.h"

namespace shardstore::checker {

nlohmann::json RunDocument(const SummaryRecord& summary,
                           const std::vector<FindingRecord>& findings) {
  nlohmann::json records = nlohmann::json::array();
  for (const FindingRecord& f : findings) records.push_back(ToJson(f));
  return nlohmann::json{{"suite", summary.suite},
                        {"result", findings.empty() ? "pass" : "violation"},
                        {"summary", ToJson(summary)},
                        {"findings", records}};
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
