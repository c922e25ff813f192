#include "shardstore/checker/crash_concurrency_suite.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "shardstore/checker/crash_concurrency_check.h"
#include "shardstore/checker/op.h"

namespace shardstore::checker {
namespace {

using nlohmann::json;

constexpr int kExitViolation = 1;
constexpr int kExitUsage = 2;
constexpr uint64_t kBatch = 1000;

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

json SizeJson(const JointSize& size) {
  return json{{"ops", size.ops},
              {"preemptions", size.preemptions},
              {"steps", size.steps},
              {"crash_step", size.crash_step},
              {"kept_pages", size.kept_pages},
              {"pending_pages", size.pending_pages}};
}

struct Tally {
  uint64_t schedules = 0, programs = 0, steps = 0;
  uint64_t cuts_with_pending = 0, pending_pages = 0, kept_pages = 0, torn_pages = 0;
  double seconds = 0;
  bool done = false;
  bool exhausted = false;
};

// A test for tests/regress/ that replays the case and expects it to pass (once fixed).
std::string GTestFor(const JointCase& c, const Failure& failure, uint64_t seed) {
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

SuiteOutput RunCrashConcurrencySuite(const CrashConcurrencyArgs& args) {
  SuiteOutput out;
  std::vector<JointWorkload> workloads;
  if (args.harness == "all") {
    workloads.assign(AllJointWorkloads().begin(), AllJointWorkloads().end());
  } else if (auto workload = FindJointWorkload(args.harness)) {
    workloads = {*workload};
  } else {
    out.exit_code = kExitUsage;
    out.human = "shardcheck: unknown harness '" + args.harness +
                "' (clients, reclaim-compact, chunk-writers or all)\n";
    return out;
  }
  if (!IsJointStrategy(args.strategy)) {
    out.exit_code = kExitUsage;
    out.human =
        "shardcheck: unknown strategy '" + args.strategy + "' (portfolio, random, pct or dfs)\n";
    return out;
  }
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const bool systematic = args.strategy == "dfs";
  std::vector<Tally> tallies(workloads.size());
  std::optional<std::pair<size_t, JointFinding>> found;  // the workload's index, the finding
  bool budget_spent = false;
  for (uint64_t round = 0; !found && !budget_spent; ++round) {
    bool ran = false;
    for (size_t w = 0; w < workloads.size() && !found; ++w) {
      Tally& tally = tallies[w];
      if (tally.done || tally.schedules >= args.iterations) continue;
      JointSearchOptions options;
      options.workload = workloads[w];
      options.bug = args.bug;
      options.strategy = args.strategy;
      options.depth = args.depth;
      options.seed = args.seed + round * 1'000'003;
      options.iterations =
          systematic ? args.iterations : std::min(kBatch, args.iterations - tally.schedules);
      if (args.time_budget_seconds > 0) {
        if (elapsed() >= args.time_budget_seconds) {
          budget_spent = true;
          break;
        }
        options.time_budget_seconds = args.time_budget_seconds - elapsed();
      }
      ran = true;
      const double before = elapsed();
      JointReport report = SearchJoint(options);
      tally.schedules += report.schedules;
      tally.programs += report.programs;
      tally.steps += report.steps;
      tally.seconds += report.seconds;
      tally.cuts_with_pending += report.cuts_with_pending;
      tally.pending_pages += report.pending_pages;
      tally.kept_pages += report.kept_pages;
      tally.torn_pages += report.torn_pages;
      tally.exhausted = report.exhausted;
      tally.done = systematic || report.exhausted;
      budget_spent |= report.budget_spent;
      if (report.finding) {
        report.finding->schedule_index = tally.schedules;
        report.finding->seconds += before;
        found.emplace(w, std::move(*report.finding));
      }
    }
    if (!ran) break;
  }

  std::ostringstream human;
  json runs = json::array();
  uint64_t schedules = 0, steps = 0;
  const std::string bug = std::string(seeded::BugName(args.bug));
  for (size_t w = 0; w < workloads.size(); ++w) {
    const Tally& t = tallies[w];
    const bool failed = found && found->first == w;
    human << "crash-concurrency[" << JointWorkloadName(workloads[w]) << "] seed " << args.seed
          << (bug.empty() ? "" : ", seeded bug " + bug) << ": " << args.strategy << ": "
          << t.schedules << " schedules (" << t.programs << " programs), " << t.steps
          << " steps in " << t.seconds << " s"
          << (t.exhausted ? " (every one within the bound)" : "") << (failed ? "" : ", no failure")
          << "\n  power cuts with writes pending: " << t.cuts_with_pending << " ("
          << t.pending_pages << " pages pending, " << t.kept_pages << " kept, " << t.torn_pages
          << " of them torn)\n";
    schedules += t.schedules;
    steps += t.steps;
    runs.push_back({{"harness", JointWorkloadName(workloads[w])},
                    {"schedules", t.schedules},
                    {"programs", t.programs},
                    {"steps", t.steps},
                    {"seconds", t.seconds},
                    {"exhausted", t.exhausted},
                    {"cuts_with_pending", t.cuts_with_pending},
                    {"pending_pages", t.pending_pages},
                    {"kept_pages", t.kept_pages},
                    {"torn_pages", t.torn_pages},
                    {"result", failed ? "violation" : "pass"}});
  }
  if (budget_spent) human << "the time budget (" << args.time_budget_seconds << " s) ran out\n";
  json result{{"suite", "crash-concurrency"},
              {"result", found ? "violation" : "pass"},
              {"seed", args.seed},
              {"iterations", schedules},
              {"steps", steps},
              {"seconds", elapsed()},
              {"budget_spent", budget_spent},
              {"strategy", args.strategy},
              {"bug", bug.empty() ? json(nullptr) : json(bug)},
              {"harnesses", runs}};
  if (found) {
    const JointFinding& f = found->second;
    const JointCase& minimized = f.minimized.minimized;
    const std::string token = EncodeJointToken(f.reproduces ? minimized : f.found);
    human << "\n"
          << f.failure.ToString() << "\n  found by " << f.strategy << " at schedule "
          << f.schedule_index << " after " << f.seconds << " s: " << f.found_size.ToString()
          << "\n";
    if (f.reproduces) {
      human << "  minimized (" << f.minimized.replays << " replays, " << f.minimized.seconds
            << " s): " << f.minimized.replay.size.ToString() << "\n"
            << DescribeJointProgram(minimized);
      if (f.minimized_failure && f.minimized_failure->ToString() != f.failure.ToString()) {
        human << "  the minimized case fails with: " << f.minimized_failure->ToString() << "\n";
      }
      human << "replay: shardcheck replay " << token << "\n\nGoogleTest for tests/regress/:\n"
            << GTestFor(minimized, f.failure, args.seed);
    } else {
      human << "  the found case did not fail again when replayed (nondeterminism?)\n";
    }
    result["harness"] = JointWorkloadName(workloads[found->first]);
    result["kind"] = FailureKindName(f.failure.kind);
    result["violation"] = f.failure.message;
    result["found_by"] = f.strategy;
    result["schedules_until_found"] = f.schedule_index;
    result["seconds_until_found"] = f.seconds;
    result["found"] = SizeJson(f.found_size);
    json shrunk = SizeJson(f.minimized.replay.size);
    shrunk["replays"] = f.minimized.replays;
    shrunk["seconds"] = f.minimized.seconds;
    result["minimized"] = shrunk;
    result["token"] = f.reproduces ? json(token) : json(nullptr);
    result["replay"] = f.reproduces ? json("shardcheck replay " + token) : json(nullptr);
    result["gtest"] =
        f.reproduces ? json(GTestFor(minimized, f.failure, args.seed)) : json(nullptr);
  } else {
    result["token"] = nullptr;
    result["replay"] = nullptr;
  }
  out.human = human.str();
  if (args.as_json) out.json = result.dump();
  out.exit_code = found ? kExitViolation : 0;
  return out;
}

SuiteOutput ReplayCrashConcurrency(std::string_view token, bool as_json) {
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
  out.human = human.str();
  out.exit_code = replay.run.failure ? kExitViolation : 0;
  if (as_json) {
    json result{{"suite", "replay"},
                {"result", replay.run.failure ? "violation" : "pass"},
                {"harness", JointWorkloadName(c->workload)},
                {"replay", "shardcheck replay " + std::string(token)},
                {"size", SizeJson(replay.size)},
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
