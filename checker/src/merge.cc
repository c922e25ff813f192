#include "shardstore/checker/merge.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "shardstore/checker/campaign.h"

namespace shardstore::checker {

using nlohmann::json;

namespace {

struct FileRecords {
  std::optional<SummaryRecord> summary;
  std::vector<FindingRecord> findings;
  std::string suite;
  Shard shard;
  uint64_t campaign_seed = 0;
  std::string commit;
};

// Parses one results file; on bad input adds an error naming the file and line and returns
// nullopt.
std::optional<FileRecords> ReadFile(const std::string& name, const std::string& text,
                                    MergeReport* report) {
  auto error = [&](const std::string& why) {
    report->errors.push_back(name + ": " + why);
    return std::nullopt;
  };
  if (text.empty()) return error("empty: not a results file (a shard that never started?)");
  if (text.back() != '\n') {
    return error("truncated: the last line is incomplete (the shard was killed while writing)");
  }
  FileRecords file;
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    const std::string where = "line " + std::to_string(number) + ": ";
    const json record = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (record.is_discarded() || !record.is_object()) {
      return error(where + "not JSON: not a shardcheck results file");
    }
    if (!record.contains("record") || !record.contains("schema") || !record["record"].is_string() ||
        !record["schema"].is_number_integer()) {
      return error(where + "no \"record\" and \"schema\": not a shardcheck results file");
    }
    const int schema = record["schema"].get<int>();
    if (schema != kResultsSchema) {
      return error(where + "schema " + std::to_string(schema) + ", and this shardcheck reads " +
                   "schema " + std::to_string(kResultsSchema) +
                   (schema > kResultsSchema ? " (written by a newer shardcheck)" : ""));
    }
    const std::string kind = record["record"].get<std::string>();
    if (number == 1 && kind != "start") return error(where + "does not begin with a start record");
    if (kind == "start") {
      if (number != 1) return error(where + "a second start record");
      file.suite = record.value("suite", "");
      file.commit = record.value("commit", "");
      file.campaign_seed = record.value("campaign_seed", uint64_t{0});
      if (const json& shard = record.value("shard", json()); shard.is_object()) {
        file.shard.index = shard.value("index", 0u);
        file.shard.count = shard.value("count", 1u);
      }
    } else if (kind == "finding") {
      StatusOr<FindingRecord> finding = FindingFromJson(record);
      if (!finding.ok()) return error(where + "finding: " + finding.status().message());
      file.findings.push_back(std::move(*finding));
    } else if (kind == "summary") {
      if (file.summary) return error(where + "a second summary record");
      StatusOr<SummaryRecord> summary = SummaryFromJson(record);
      if (!summary.ok()) return error(where + "summary: " + summary.status().message());
      file.summary = std::move(*summary);
    } else {
      return error(where + "unknown record \"" + kind + "\"");
    }
  }
  if (!file.summary) {
    return error("truncated: no summary record (the shard did not finish; rerun it: a shard " +
                 std::string("reproduces exactly)"));
  }
  if (file.summary->findings != file.findings.size()) {
    return error("the summary counts " + std::to_string(file.summary->findings) +
                 " findings but the file holds " + std::to_string(file.findings.size()));
  }
  return file;
}

std::vector<std::string> ExpandPaths(const std::vector<std::string>& paths, MergeReport* report) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
      std::vector<std::string> inside;
      for (const auto& entry : std::filesystem::directory_iterator(path, error)) {
        if (entry.is_regular_file() && entry.path().extension() == ".jsonl") {
          inside.push_back(entry.path().string());
        }
      }
      if (error) report->errors.push_back(path + ": " + error.message());
      if (inside.empty() && !error) report->errors.push_back(path + ": holds no *.jsonl files");
      std::sort(inside.begin(), inside.end());
      files.insert(files.end(), inside.begin(), inside.end());
    } else if (std::filesystem::is_regular_file(path, error)) {
      files.push_back(path);
    } else {
      report->errors.push_back(path + ": no such file or folder");
    }
  }
  return files;
}

void AddFile(const FileRecords& file, MergeReport* report,
             std::map<std::string, std::vector<MergedFinding>>* by_signature) {
  const SummaryRecord& s = *file.summary;
  ++report->files;
  report->seconds += s.seconds;
  if (std::find(report->commits.begin(), report->commits.end(), s.build.commit) ==
      report->commits.end()) {
    report->commits.push_back(s.build.commit);
  }
  for (const auto& [harness, totals] : s.harnesses) {
    MergedTotals& merged = report->totals[s.suite][harness];
    merged.totals.Add(totals);
    ++merged.shards;
  }
  for (const auto& [op, hits] : s.op_coverage) report->op_coverage[op] += hits;
  for (const auto& [path, hits] : s.path_coverage) report->path_coverage[path] += hits;
  std::set<std::string> counted;  // a shard that found a signature twice counts once
  for (const FindingRecord& f : file.findings) {
    std::vector<MergedFinding>& list = (*by_signature)[f.signature];
    if (list.empty()) list.push_back(MergedFinding{f, f.sequence, f.seed, 0, 0});
    MergedFinding& merged = list.front();
    ++merged.hits;
    if (counted.insert(f.signature).second) ++merged.shards;
    if (std::tie(f.sequence) < std::tie(merged.first_sequence)) {
      merged.first_sequence = f.sequence;
      merged.first_seed = f.seed;
    }
    if (std::tie(f.minimized_length, f.sequence) <
        std::tie(merged.best.minimized_length, merged.best.sequence)) {
      merged.best = f;
    }
  }
}

}  // namespace

MergeReport MergeResults(const std::vector<std::string>& paths, const MergeOptions& options) {
  MergeReport report;
  const std::vector<std::string> files = ExpandPaths(paths, &report);
  if (paths.empty()) report.errors.push_back("nothing to merge: name results files or folders");
  std::map<std::string, std::vector<MergedFinding>> by_signature;
  std::map<std::string, std::string> seen;  // suite, seed, shard -> file
  std::map<std::tuple<std::string, uint64_t, uint32_t>, std::set<uint32_t>> campaigns;
  for (const std::string& name : files) {
    std::ifstream in(name, std::ios::binary);
    if (!in) {
      report.errors.push_back(name + ": cannot be read");
      continue;
    }
    std::stringstream text;
    text << in.rdbuf();
    const std::optional<FileRecords> file = ReadFile(name, text.str(), &report);
    if (!file) continue;
    const SummaryRecord& s = *file->summary;
    const std::string key =
        s.suite + " seed " + std::to_string(s.campaign_seed) + " shard " + s.shard.ToString();
    if (const auto it = seen.find(key); it != seen.end()) {
      report.warnings.push_back(name + ": " + key + " is also in " + it->second + "; counted once");
      continue;
    }
    seen[key] = name;
    campaigns[{s.suite, s.campaign_seed, s.shard.count}].insert(s.shard.index);
    AddFile(*file, &report, &by_signature);
  }
  for (const auto& [campaign, indices] : campaigns) {
    const auto& [suite, seed, count] = campaign;
    if (indices.size() < count) {
      report.warnings.push_back(suite + " seed " + std::to_string(seed) + ": " +
                                std::to_string(indices.size()) + " of " + std::to_string(count) +
                                " shards present");
    }
  }
  if (report.commits.size() > 1) {
    std::string list;
    for (const std::string& c : report.commits) list += (list.empty() ? "" : ", ") + c;
    const std::string message = "shards of different commits (" + list +
                                "): their sequences differ, so totals and findings do not add up";
    if (options.allow_mixed_commits) {
      report.warnings.push_back(message);
    } else {
      report.errors.push_back(message + " (--allow-mixed-commits merges them anyway)");
    }
  }
  for (auto& [signature, list] : by_signature) report.findings.push_back(list.front());
  std::sort(report.findings.begin(), report.findings.end(),
            [](const MergedFinding& a, const MergedFinding& b) {
              return std::tie(a.best.suite, a.best.harness, a.best.signature) <
                     std::tie(b.best.suite, b.best.harness, b.best.signature);
            });
  return report;
}

std::string DescribeMerge(const MergeReport& report) {
  std::ostringstream os;
  for (const std::string& e : report.errors) os << "error: " << e << "\n";
  for (const std::string& w : report.warnings) os << "warning: " << w << "\n";
  os << "merged " << report.files << " results file" << (report.files == 1 ? "" : "s");
  if (report.commits.size() == 1) os << " of commit " << report.commits.front();
  os << " (" << report.seconds << " shard-seconds)\n";
  for (const auto& [suite, harnesses] : report.totals) {
    for (const auto& [harness, merged] : harnesses) {
      const HarnessTotals& t = merged.totals;
      os << "  " << suite << "[" << harness << "]: " << t.sequences
         << (IsScheduledSuite(suite) ? " schedules, " : " sequences, ");
      if (IsScheduledSuite(suite)) {
        os << t.steps << " steps";
      } else {
        os << t.ops << " ops";
      }
      if (t.crash_states > 0) {
        os << ", " << t.crash_states
           << (IsScheduledSuite(suite) ? " power cuts with writes pending" : " crash states");
      }
      os << ", " << t.findings << " finding" << (t.findings == 1 ? "" : "s") << " in "
         << merged.shards << " shard" << (merged.shards == 1 ? "" : "s") << "\n";
    }
  }
  std::vector<std::string> blind;
  for (const auto& [path, hits] : report.path_coverage) {
    if (hits == 0) blind.push_back(path);
  }
  os << "engine paths: " << report.path_coverage.size() - blind.size() << " of "
     << report.path_coverage.size() << " reached\n";
  if (!blind.empty()) {
    os << "  blind spots (no shard reached them):\n";
    for (const std::string& path : blind) os << "    " << path << "\n";
  }
  for (const auto& [path, hits] : report.path_coverage) {
    if (hits > 0) os << "    " << hits << "  " << path << "\n";
  }
  if (!report.op_coverage.empty()) {
    os << "ops:";
    for (const auto& [op, hits] : report.op_coverage) os << " " << op << " " << hits;
    os << "\n";
  }
  os << report.findings.size() << " distinct finding" << (report.findings.size() == 1 ? "" : "s")
     << "\n";
  for (const MergedFinding& m : report.findings) {
    const FindingRecord& f = m.best;
    os << "\n"
       << f.suite << "[" << f.harness << "] " << f.kind << " (signature " << f.signature
       << "): " << f.violation << "\n  hit by " << m.shards << " shard"
       << (m.shards == 1 ? "" : "s") << " (" << m.hits << " record" << (m.hits == 1 ? "" : "s")
       << "); first at sequence " << m.first_sequence << " (seed " << m.first_seed
       << "); shortest case " << f.minimized_length << " " << f.length_unit << " (found at "
       << f.found_length << "), shard " << f.shard.ToString() << ":\n";
    for (const std::string& step : f.steps) os << "    " << step << "\n";
    os << "  replay: " << f.replay << "\n";
  }
  return os.str();
}

json MergeJson(const MergeReport& report) {
  json totals = json::object();
  for (const auto& [suite, harnesses] : report.totals) {
    for (const auto& [harness, merged] : harnesses) {
      const HarnessTotals& t = merged.totals;
      totals[suite][harness] = {{"sequences", t.sequences},       {"ops", t.ops},
                                {"crash_states", t.crash_states}, {"steps", t.steps},
                                {"findings", t.findings},         {"seconds", t.seconds},
                                {"shards", merged.shards}};
    }
  }
  json blind = json::array();
  for (const auto& [path, hits] : report.path_coverage) {
    if (hits == 0) blind.push_back(path);
  }
  json findings = json::array();
  for (const MergedFinding& m : report.findings) {
    json f = ToJson(m.best);
    f["shards_hit"] = m.shards;
    f["records"] = m.hits;
    f["first_sequence"] = m.first_sequence;
    f["first_seed"] = m.first_seed;
    findings.push_back(std::move(f));
  }
  return {{"record", "merge"},
          {"schema", kResultsSchema},
          {"result", !report.ok()              ? "error"
                     : report.findings.empty() ? "pass"
                                               : "violation"},
          {"files", report.files},
          {"commits", report.commits},
          {"errors", report.errors},
          {"warnings", report.warnings},
          {"totals", totals},
          {"coverage",
           {{"ops", report.op_coverage}, {"paths", report.path_coverage}, {"blind_spots", blind}}},
          {"findings", findings}};
}

}  // namespace shardstore::checker
