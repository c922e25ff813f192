#include "shardstore/checker/campaign_report.h"

#include <cstdio>
#include <string>
#include <vector>

namespace shardstore::checker {

using nlohmann::json;

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
  for (size_t i = 0; i < blind.size() && i < kBlindSpotsListed; ++i)
    os << "    " << blind[i] << "\n";
  if (blind.size() > kBlindSpotsListed) {
    os << "    ... and " << blind.size() - kBlindSpotsListed << " more (--coverage lists them)\n";
  }
}

}  // namespace

void PrintSummary(std::ostream& os, const SummaryRecord& summary, bool full_coverage) {
  for (const auto& [harness, t] : summary.harnesses) {
    const bool concurrency = IsScheduledSuite(summary.suite);
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
      os << (concurrency ? "  power cuts that met writes pending: "
                         : "  crash states recovered and checked: ")
         << t.crash_states << "\n";
    }
    if (t.repeats > 0) {
      os << "  failures like one found before (not minimized): " << t.repeats << "\n";
    }
  }
  PrintCoverage(os, summary, full_coverage);
  if (summary.stopped_by == "time-budget") {
    os << "the time budget (" << summary.time_budget_seconds << " s) ran out\n";
  }
}

void PrintFinding(std::ostream& os, const FindingRecord& f, const std::string& report_path) {
  os << "\nVIOLATION (" << f.kind << ") in " << f.suite << "[" << f.harness << "]: " << f.violation
     << "\n(sequence " << f.sequence << ", seed " << f.seed << ", shard " << f.shard.ToString()
     << ")\nminimized from " << f.found_length << " to " << f.minimized_length << " "
     << f.length_unit << ":\n";
  for (const std::string& step : f.steps) os << "  " << step << "\n";
  os << "\nreplay: " << f.replay << "\n";
  if (!report_path.empty()) {
    os << "report: " << report_path << " (the steps, "
       << (f.suite == "crash-concurrency" ? "the timeline, the power cut, the history"
           : f.suite == "concurrency"     ? "the timeline, the history"
                                          : "engine beside model")
       << ", and the GoogleTest with a copy button)\n";
  } else {
    os << "report: add --report FILE.html (or --results DIR, then `shardcheck report`)\n";
  }
  if (!f.gtest.empty()) os << "\nGoogleTest for tests/regress/:\n" << f.gtest;
}

json CampaignJson(const CampaignReport& report) {
  const SummaryRecord& s = report.summary;
  const bool concurrency = IsScheduledSuite(s.suite);
  const bool joint = s.suite == "crash-concurrency";
  uint64_t sequences = 0, ops = 0, steps = 0, crash_states = 0;
  json harnesses = json::array();
  for (const auto& [name, t] : s.harnesses) {
    sequences += t.sequences;
    ops += t.ops;
    steps += t.steps;
    crash_states += t.crash_states;
    const bool failed = t.findings > 0;
    json h{{"harness", name}, {"seconds", t.seconds}, {"result", failed ? "violation" : "pass"}};
    if (concurrency) {
      h["schedules"] = t.sequences;
      h["steps"] = t.steps;
      if (joint) h["cuts_with_pending"] = t.crash_states;
    } else {
      h["sequences"] = t.sequences;
      h["ops"] = t.ops;
      h["crash_states"] = t.crash_states;
    }
    harnesses.push_back(h);
  }
  const bool violation = !report.findings.empty();
  json out{{"suite", s.suite},
           {"result", violation              ? "violation"
                      : report.error.empty() ? "pass"
                                             : "error"},
           {"seed", s.campaign_seed},
           {"shard", s.shard.ToString()},
           {"iterations", sequences},
           {"seconds", s.seconds},
           {"budget_spent", s.stopped_by == "time-budget"},
           {"bug", s.bug.empty() ? json(nullptr) : json(s.bug)},
           {"harnesses", harnesses},
           {"summary", ToJson(s)}};
  if (concurrency) {
    out["steps"] = steps;
  } else {
    out["ops"] = ops;
    out["crash_states"] = crash_states;
  }
  json findings = json::array();
  json failures = json::array();
  for (const FindingRecord& f : report.findings) {
    findings.push_back(ToJson(f));
    failures.push_back({{"harness", f.harness},
                        {"kind", f.kind},
                        {"violation", f.violation},
                        {"strategy", f.strategy},
                        {"schedule", f.token},
                        {"program_seed", f.seed},
                        {"steps", {{"found", f.found_length}, {"minimized", f.minimized_length}}},
                        {"replay", f.replay}});
  }
  out["findings"] = findings;
  if (concurrency) out["failures"] = failures;
  if (violation) {
    const FindingRecord& f = report.findings.front();
    out["harness"] = f.harness;
    out["kind"] = f.kind;
    out["violation"] = f.violation;
    out["replay"] = f.replay;
    out["shrunk_ops"] = f.minimized_length;
    if (concurrency) out["schedule"] = f.token;
    if (joint) {
      // The case replays from one token: operations, schedule and crash plan.
      out["token"] = f.token;
      out["found_by"] = f.strategy;
      out["schedules_until_found"] = f.found_after_sequences;
      out["seconds_until_found"] = f.found_after_seconds;
      out["gtest"] = f.gtest;
      if (f.sizes.is_object()) {
        for (const char* key : {"found", "minimized"}) {
          if (f.sizes.contains(key)) out[key] = f.sizes[key];
        }
      }
    }
  } else {
    out["replay"] = nullptr;
    out["shrunk_ops"] = nullptr;
    if (concurrency) out["schedule"] = nullptr;
    if (joint) out["token"] = nullptr;
  }
  if (!report.error.empty()) out["error"] = report.error;
  return out;
}

}  // namespace shardstore::checker
