#include "shardstore/checker/concurrency_finding.h"

#include <algorithm>
#include <memory>
#include <sstream>

#include "shardstore/checker/crash_concurrency_suite.h"
#include "shardstore/checker/history.h"
#include "shardstore/checker/schedule_trace.h"

namespace shardstore::checker {
namespace {

using nlohmann::json;

std::string BugFlag(const std::string& bug) { return bug.empty() ? "" : " --bug " + bug; }

// The pages pending at the cut and the sectors the plan kept of each, as a report's strip.
json PowerCutJson(const CrashControl& control, const JointSize& size) {
  const std::vector<MemDisk::SectorsKept> kept =
      MemDisk::SectorsFor(control.plan, control.pending.size());
  json pages = json::array();
  for (size_t i = 0; i < control.pending.size(); ++i) {
    const bool torn = control.plan.torn_page == i + 1;
    pages.push_back({{"extent", control.pending[i].extent},
                     {"offset", control.pending[i].offset},
                     {"sectors_kept", kept[i]},
                     {"torn_bytes", torn ? control.plan.torn_bytes : 0}});
  }
  return {{"schedule_step", size.crash_step},
          {"crasher", control.crasher},
          {"ops_before_cut", control.ops_before_cut},
          {"plan", DescribePlan(control.plan, control.pending_pages)},
          {"sectors_per_page", MemDisk::kPageWhole},
          {"pages", pages}};
}

}  // namespace

FindingRecord ConcurrencyFinding(FindingRecord f, StoreWorkload workload, uint64_t program_seed,
                                 const FoundFailure& found) {
  f.kind = std::string(FailureKindName(found.failure.kind));
  f.violation = found.failure.message;
  f.seed = program_seed;
  f.strategy = found.strategy;
  f.token = found.minimized;
  f.replay = "shardcheck concurrency --harness " + std::string(StoreWorkloadName(workload)) +
             " --program-seed " + std::to_string(program_seed) + BugFlag(f.bug) + " --schedule '" +
             found.minimized + "'";
  f.length_unit = "steps";
  f.found_length = found.steps;
  f.minimized_length = found.minimized_steps;
  f.steps.push_back("found by " + found.strategy + " at schedule " +
                    std::to_string(found.schedule_index) +
                    " of its search: " + std::to_string(found.steps) + " steps, " +
                    std::to_string(found.preemptions) + " preemptions");
  f.steps.push_back("minimized: " + std::to_string(found.minimized_steps) + " steps, " +
                    std::to_string(found.minimized_preemptions) + " preemptions");
  for (const std::string& choice : found.unusual) f.steps.push_back("unusual: " + choice);
  f.shape = f.kind;
  f.signature = FindingSignature(f);
  auto history = std::make_shared<History>();
  const ScheduleTrace trace =
      TraceSchedule(StoreConcurrencyBody(workload, program_seed, history), found.minimized);
  f.timeline = TraceJson(trace);
  f.history = HistoryJson(*history);
  return f;
}

std::string JointGTest(const JointCase& c, const Failure& failure, uint64_t seed) {
  std::string name(JointWorkloadName(c.workload));
  name.erase(std::remove(name.begin(), name.end(), '-'), name.end());
  std::string first_line = failure.ToString();
  first_line = first_line.substr(0, first_line.find('\n'));
  return "// " + EncodeJointToken(c) + "\n// Found: " + first_line +
         "\nTEST(CrashConcurrencyRegress, " + name + "Seed" + std::to_string(seed) +
         ") {\n  StatusOr<JointCase> c = ParseJointToken(\"" + EncodeJointToken(c) +
         "\");\n  ASSERT_TRUE(c.ok()) << c.status().ToString();\n  const JointReplay replay = "
         "ReplayJoint(*c);\n  EXPECT_FALSE(replay.run.failure) << "
         "replay.run.failure->ToString();\n}\n";
}

FindingRecord CrashConcurrencyFinding(FindingRecord f, const JointFinding& found) {
  const JointCase& shown = found.reproduces ? found.minimized.minimized : found.found;
  const JointSize& size = found.reproduces ? found.minimized.replay.size : found.found_size;
  f.kind = std::string(FailureKindName(found.failure.kind));
  f.violation = found.failure.message;
  f.strategy = found.strategy;
  f.token = EncodeJointToken(shown);
  f.replay = "shardcheck replay " + f.token;
  f.length_unit = "ops";
  f.found_length = found.found_size.ops;
  f.minimized_length = size.ops;
  std::istringstream program(DescribeJointProgram(shown));
  for (std::string line; std::getline(program, line);) {
    f.steps.push_back(line.substr(std::min(line.find_first_not_of(' '), line.size())));
  }
  CrashControl control;
  const ScheduleTrace trace = TraceJoint(shown, &control);
  f.steps.push_back("power cut at scheduling point " + std::to_string(size.crash_step) + ", " +
                    DescribePlan(control.plan, control.pending_pages));
  f.steps.push_back("found by " + found.strategy + " at schedule " +
                    std::to_string(found.schedule_index) +
                    " of its search: " + found.found_size.ToString());
  if (found.reproduces) {
    f.steps.push_back("minimized (" + std::to_string(found.minimized.replays) +
                      " replays): " + size.ToString());
    if (found.minimized_failure && !found.minimized_failure->SameAs(found.failure)) {
      f.steps.push_back("the minimized case fails with: " + found.minimized_failure->ToString());
    }
    f.gtest = JointGTest(shown, found.failure, f.campaign_seed);
  } else {
    f.steps.push_back("the found case did not fail again when replayed (nondeterminism?)");
  }
  f.shape = f.kind;
  f.signature = FindingSignature(f);
  f.power_cut = PowerCutJson(control, size);
  f.timeline = TraceJson(trace);
  f.timeline["crasher"] = control.crasher;
  f.history = HistoryJson(control.history);
  f.sizes = {{"found", JointSizeJson(found.found_size)}, {"minimized", JointSizeJson(size)}};
  return f;
}

nlohmann::json JointSizeJson(const JointSize& size) {
  return nlohmann::json{{"ops", size.ops},
                        {"preemptions", size.preemptions},
                        {"steps", size.steps},
                        {"crash_step", size.crash_step},
                        {"kept_pages", size.kept_pages},
                        {"pending_pages", size.pending_pages}};
}

}  // namespace shardstore::checker
