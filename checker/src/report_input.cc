// Report input: recognizes which checker output a file holds.
#include <fstream>
#include <optional>
#include <sstream>

#include "shardstore/checker/report.h"

namespace shardstore::checker {
namespace {

using nlohmann::json;

std::optional<ReportKind> SuiteKind(const std::string& suite) {
  if (suite == "conformance") return ReportKind::kConformance;
  if (suite == "crash") return ReportKind::kCrash;
  if (suite == "concurrency") return ReportKind::kConcurrency;
  if (suite == "crash-concurrency") return ReportKind::kCrashConcurrency;
  return std::nullopt;
}

// One finding alone is drawn by its suite; several, or none, as a campaign.
ReportKind KindOf(const json& findings) {
  if (findings.size() != 1) return ReportKind::kCampaign;
  return SuiteKind(findings[0].value("suite", "")).value_or(ReportKind::kCampaign);
}

// The violation's first line, cut short: the page's heading (the whole of it is below).
std::string FindingTitle(const json& f) {
  std::string violation = f.value("violation", "");
  violation = violation.substr(0, violation.find('\n'));
  if (violation.size() > 140) violation = violation.substr(0, 137) + "...";
  return f.value("suite", "?") + "[" + f.value("harness", "?") + "]: " + violation;
}

StatusOr<ReportInput> FromObject(const json& doc) {
  ReportInput in;
  in.findings = json::array();
  in.summaries = json::array();
  const std::string record = doc.value("record", "");
  const std::string suite = doc.value("suite", "");
  if (record == "finding") {
    in.findings.push_back(doc);
    in.kind = SuiteKind(suite).value_or(ReportKind::kCampaign);
    in.title = FindingTitle(doc);
    return in;
  }
  if (record == "merge") {
    in.merge = doc;
    if (doc.contains("findings") && doc["findings"].is_array()) in.findings = doc["findings"];
    in.kind = ReportKind::kCampaign;
    in.title = "campaign: " + std::to_string(doc.value("files", 0)) + " results files, " +
               std::to_string(in.findings.size()) + " distinct findings";
    return in;
  }
  if (suite == "linearize") {
    in.linearize = doc;
    in.kind = ReportKind::kLinearize;
    in.title =
        "linearize[" + doc.value("model", "?") + "]: " +
        (doc.value("result", "") == "violation" ? "not linearizable" : doc.value("result", "?"));
    return in;
  }
  if (!suite.empty() && doc.contains("findings") && doc["findings"].is_array()) {
    in.findings = doc["findings"];
    if (doc.contains("summary") && doc["summary"].is_object()) {
      in.summaries.push_back(doc["summary"]);
    }
    in.kind = KindOf(in.findings);
    in.title = in.findings.size() == 1 ? FindingTitle(in.findings[0])
                                       : suite + ": " + doc.value("result", "?");
    return in;
  }
  if (!suite.empty()) {
    return Status::InvalidArgument(
        "this " + suite +
        " output holds no finding records (run the suite with --json, or give its results "
        "file)");
  }
  return Status::InvalidArgument(
      "not checker output: expected a suite's --json object, linearize --json, merge --json, a "
      "results file or a finding record");
}

StatusOr<ReportInput> FromLines(std::string_view text) {
  ReportInput in;
  in.findings = json::array();
  in.summaries = json::array();
  size_t line_number = 0;
  for (size_t begin = 0; begin < text.size();) {
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(begin, end - begin);
    begin = end + 1;
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const json record = json::parse(std::string(line), nullptr, /*allow_exceptions=*/false);
    if (record.is_discarded() || !record.is_object()) {
      return Status::InvalidArgument("line " + std::to_string(line_number) + " is not JSON");
    }
    const std::string kind = record.value("record", "");
    if (kind == "finding") {
      in.findings.push_back(record);
    } else if (kind == "summary") {
      in.summaries.push_back(record);
    } else if (kind != "start") {
      return Status::InvalidArgument("line " + std::to_string(line_number) +
                                     " is not a results record (no \"record\" field)");
    }
  }
  if (in.findings.empty() && in.summaries.empty()) {
    return Status::InvalidArgument("no finding or summary records");
  }
  in.kind = in.summaries.empty() ? KindOf(in.findings) : ReportKind::kCampaign;
  in.title = in.findings.size() == 1 && in.summaries.empty()
                 ? FindingTitle(in.findings[0])
                 : "results: " + std::to_string(in.summaries.size()) + " shards, " +
                       std::to_string(in.findings.size()) + " findings";
  return in;
}

}  // namespace

std::string_view ReportKindName(ReportKind kind) {
  constexpr std::string_view kNames[] = {"conformance", "crash",    "concurrency",
                                         "linearize",   "campaign", "crash-concurrency"};
  return kNames[static_cast<size_t>(kind)];
}

StatusOr<ReportInput> ReportInputFromJson(const json& document) { return FromObject(document); }

StatusOr<ReportInput> ReportInputFromText(std::string_view raw) {
  const std::string text = ToValidUtf8(raw);
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_discarded()) {
    if (!doc.is_object()) return Status::InvalidArgument("the JSON is not an object");
    return FromObject(doc);
  }
  return FromLines(text);
}

StatusOr<ReportInput> ReadReportInput(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().empty()) return Status::InvalidArgument(path + " is empty");
  StatusOr<ReportInput> input = ReportInputFromText(text.str());
  if (!input.ok()) return Status::InvalidArgument(path + ": " + input.status().message());
  return input;
}

}  // namespace shardstore::checker
