#include "shardstore/checker/crash_concurrency_suite.h"

#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "shardstore/checker/concurrency_finding.h"
#include "shardstore/checker/crash_concurrency_check.h"
#include "shardstore/checker/op.h"

namespace shardstore::checker {
namespace {

using nlohmann::json;

constexpr int kExitViolation = 1;
constexpr int kExitUsage = 2;

std::string ShowStep(bool store, const JointStep& step) {
  const std::string key = KeyName(step.a);
  switch (step.action) {
    case 'P':
      return "Put(" + key + ", " + std::to_string(step.b) + " bytes)";
    case 'W':
      return "Put(" + key + ", " + std::to_string(step.b) + " bytes)+Wait";
    case 'G':
      return "Get(" + key + ")";
    case 'D':
      return "Delete(" + key + ")";
    case 'L':
      return "List";
    case 'F':
      return "Flush";
    case 'C':
      return "Compact";
    case 'R':
      return "Reclaim";
    case 'A':
    case 'V':
      return "Append(lane " + std::to_string(step.a) + ", " + std::to_string(step.b) +
             (step.b == 1 ? " chunk)" : " chunks)") + (step.action == 'V' ? "+Wait" : "");
    case 'Q':
      return "Read(#" + std::to_string(step.a) + ")";
    case 'X':
      return "Reset(lane " + std::to_string(step.a) + ")";
  }
  return std::string(1, step.action) + (store ? "?" : "");
}

}  // namespace

std::string DescribeJointProgram(const JointCase& c) {
  const bool store = c.workload != JointWorkload::kChunkWriters;
  std::string text;
  auto line = [&](const std::string& who, const JointScript& script) {
    if (script.empty()) return;
    text += "  " + who + ":";
    for (const JointStep& step : script) text += " " + ShowStep(store, step);
    text += "\n";
  };
  line("setup", c.program.setup);
  for (size_t t = 0; t < c.program.threads.size(); ++t) {
    line("thread " + std::to_string(t), c.program.threads[t]);
  }
  for (size_t t = 0; t < c.program.after.size(); ++t) {
    line("after recovery, thread " + std::to_string(t), c.program.after[t]);
  }
  return text;
}

SuiteOutput ReplayCrashConcurrency(std::string_view token, bool as_json, const RunFiles& files) {
  SuiteOutput out;
  StatusOr<JointCase> c = ParseJointToken(token);
  if (!c.ok()) {
    out.exit_code = kExitUsage;
    out.human = "shardcheck: not a valid replay token: " + c.status().message() + "\n";
    return out;
  }
  if (c->bug != seeded::Bug::kNone && !seeded::CompiledIn()) {
    out.exit_code = kExitUsage;
    out.human = "shardcheck: the token needs seeded bug " + std::string(seeded::BugName(c->bug)) +
                ", which this build lacks; configure with -DSHARDSTORE_SEEDED_BUGS=ON\n";
    return out;
  }
  const JointReplay replay = ReplayJoint(*c);
  std::ostringstream human;
  human << "replay[crash-concurrency " << JointWorkloadName(c->workload) << "]"
        << (c->bug == seeded::Bug::kNone
                ? ""
                : " with seeded bug " + std::string(seeded::BugName(c->bug)))
        << ": " << replay.size.ToString() << "\n"
        << DescribeJointProgram(*c) << "  power cut "
        << DescribePlan(replay.control.plan, replay.control.pending_pages) << "\n";
  if (replay.run.failure) {
    human << replay.run.failure->ToString() << "\nthe whole history:\n"
          << FormatHistory(replay.control.history);
  } else {
    human << "no violation\n";
  }
  out.exit_code = replay.run.failure ? kExitViolation : 0;
  if (!files.report_path.empty() || !files.junit_path.empty()) {
    // The replay as a one-schedule run of the suite: its finding record, as a search builds it.
    SummaryRecord summary;
    summary.suite = "crash-concurrency";
    summary.bug = std::string(seeded::BugName(c->bug));
    summary.build = ThisBuild();
    summary.iterations = 1;
    summary.stopped_by = replay.run.failure ? "finding" : "iterations";
    HarnessTotals& totals = summary.harnesses[std::string(JointWorkloadName(c->workload))];
    totals.sequences = 1;
    totals.steps = replay.size.steps;
    std::vector<FindingRecord> findings;
    if (replay.run.failure) {
      JointFinding found;
      found.failure = *replay.run.failure;
      found.strategy = "replay";
      found.schedule_index = 1;
      found.found = *c;
      found.found_size = replay.size;
      found.reproduces = true;
      found.minimized.minimized = *c;
      found.minimized.replay = replay;
      found.minimized_failure = replay.run.failure;
      FindingRecord base;
      base.suite = summary.suite;
      base.harness = std::string(JointWorkloadName(c->workload));
      base.bug = summary.bug;
      base.build = summary.build;
      findings.push_back(CrashConcurrencyFinding(std::move(base), found));
      totals.findings = summary.findings = 1;
    }
    if (const Status written =
            WriteRunFiles(files, RunDocument(summary, findings), summary, findings);
        !written.ok()) {
      out.exit_code = kExitUsage;
      out.human = "shardcheck: " + written.message() + "\n";
      return out;
    }
    if (!files.report_path.empty()) human << "report: " << files.report_path << "\n";
    if (!files.junit_path.empty()) human << "junit: " << files.junit_path << "\n";
  }
  out.human = human.str();
  if (as_json) {
    json result{{"suite", "replay"},
                {"result", replay.run.failure ? "violation" : "pass"},
                {"harness", JointWorkloadName(c->workload)},
                {"replay", "shardcheck replay " + std::string(token)},
                {"size", JointSizeJson(replay.size)},
                {"shrunk_ops", replay.size.ops}};
    if (replay.run.failure) {
      result["kind"] = FailureKindName(replay.run.failure->kind);
      result["violation"] = replay.run.failure->message;
    }
    out.json = result.dump();
  }
  return out;
}

}  // namespace shardstore::checker
