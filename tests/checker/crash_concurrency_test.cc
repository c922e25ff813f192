// The crash-concurrency checker: the clean engine passes every workload under every strategy;
// tokens round-trip and replay; the crash point is the strategy's choice; each joint seeded bug
// is found, minimized and replayed (and its minimized case passes with the bug off).
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include "shardstore/checker/crash_concurrency_check.h"

namespace shardstore::checker {
namespace {

uint64_t Iterations(uint64_t fallback) {
  const char* text = std::getenv("SHARDSTORE_JOINT_ITERATIONS");
  return text ? std::strtoull(text, nullptr, 10) : fallback;
}

std::string Describe(const JointReport& report) {
  std::string text = std::string(JointWorkloadName(report.workload)) + " " + report.strategy +
                     ": " + std::to_string(report.schedules) + " schedules, " +
                     std::to_string(report.programs) + " programs, " +
                     std::to_string(report.seconds) + " s";
  if (report.finding) {
    const JointFinding& f = *report.finding;
    text += "\n  " + f.failure.ToString() + "\n  found: " + f.found_size.ToString() +
            "\n  minimized: " + f.minimized.replay.size.ToString() +
            "\n  token: " + EncodeJointToken(f.minimized.minimized);
  }
  return text;
}

TEST(CrashConcurrencyTest, CleanEngineSurvivesPowerCuts) {
  for (JointWorkload workload : AllJointWorkloads()) {
    for (const char* strategy : {"portfolio", "dfs"}) {
      JointSearchOptions options;
      options.workload = workload;
      options.strategy = strategy;
      options.depth = std::string(strategy) == "dfs" ? 1 : 3;
      options.iterations = Iterations(std::string(strategy) == "dfs" ? 100 : 200);
      options.seed = 20261123;
      const JointReport report = SearchJoint(options);
      EXPECT_TRUE(report.ok()) << Describe(report);
      std::cout << Describe(report) << "\n";
    }
  }
}

TEST(CrashConcurrencyTest, TokensRoundTrip) {
  for (JointWorkload workload : AllJointWorkloads()) {
    JointCase c;
    c.workload = workload;
    c.program = MakeJointProgram(workload, 7);
    c.plan = MemDisk::CrashPlan{0x2d, 3, 5};
    c.schedule = "sched1:0*4.1.2*3";
    const std::string token = EncodeJointToken(c);
    StatusOr<JointCase> parsed = ParseJointToken(token);
    ASSERT_TRUE(parsed.ok()) << token << ": " << parsed.status().ToString();
    EXPECT_EQ(parsed->program, c.program) << token;
    EXPECT_EQ(*parsed->plan, *c.plan) << token;
    EXPECT_EQ(parsed->schedule, c.schedule) << token;
    EXPECT_EQ(EncodeJointToken(*parsed), token);
  }
  for (const char* bad :
       {"sx1:clients", "sx1:nope:-:|:0.0.0:", "sx1:clients:-:Z|:0.0.0:", "sx1:clients:-:G9|:0.0.0:",
        "sx1:clients:-:|:0.0.9:", "sx1:clients:-:|:0.0.0:sched1:x"}) {
    EXPECT_FALSE(ParseJointToken(bad).ok()) << bad;
  }
}

// A run is a function of the case: the same token fails (or passes) the same way every time.
TEST(CrashConcurrencyTest, ReplaysAreDeterministic) {
  JointSearchOptions options;
  options.workload = JointWorkload::kClients;
  options.iterations = 20;
  options.seed = 3;
  const JointReport report = SearchJoint(options);
  ASSERT_TRUE(report.ok()) << Describe(report);
  JointCase c;
  c.workload = JointWorkload::kClients;
  c.program = MakeJointProgram(c.workload, 5);
  c.plan = MemDisk::CrashPlan{0x5, 0, 0};
  const JointReplay first = ReplayJoint(c);
  c.schedule = EncodeSchedule(first.run.schedule);
  const JointReplay second = ReplayJoint(c);
  EXPECT_EQ(first.run.schedule, second.run.schedule);
  EXPECT_EQ(first.control.pending_pages, second.control.pending_pages);
  EXPECT_FALSE(second.run.failure) << second.run.failure->ToString();
}

// Each crash-concurrency seeded bug is found by one of the workloads (the cheapest searched
// first; random schedules, then PCT's, which hold one thread back long enough for another to
// slip in), minimized without growing, replayed from its token, and the minimized case passes
// with the bug off.
TEST(CrashConcurrencyTest, FindsTheJointSeededBugs) {
  if (!seeded::CompiledIn()) GTEST_SKIP() << "built without SHARDSTORE_SEEDED_BUGS";
  const JointWorkload cheapest_first[] = {JointWorkload::kChunkWriters, JointWorkload::kClients,
                                          JointWorkload::kReclaimCompact};
  for (const seeded::BugInfo& bug : seeded::AllBugs()) {
    if (bug.bug_class != seeded::BugClass::kCrashConcurrency) continue;
    std::optional<JointReport> found;
    const std::pair<const char*, uint64_t> searches[] = {{"random", 2000}, {"portfolio", 8000}};
    for (JointWorkload workload : cheapest_first) {
      for (const auto& [strategy, iterations] : searches) {
        JointSearchOptions options;
        options.workload = workload;
        options.bug = bug.bug;
        options.strategy = strategy;
        options.iterations = iterations;
        options.seed = 20261123;
        JointReport report = SearchJoint(options);
        if (!report.ok()) {
          found = std::move(report);
          break;
        }
      }
      if (found) break;
    }
    ASSERT_TRUE(found) << bug.name << " was not found";
    const JointFinding& f = *found->finding;
    std::cout << bug.name << ": " << Describe(*found) << "\n";
    EXPECT_TRUE(f.reproduces) << bug.name;
    EXPECT_EQ(f.failure.kind, FailureKind::kCrashConsistency) << f.failure.ToString();
    const JointSize& before = f.found_size;
    const JointSize& after = f.minimized.replay.size;
    EXPECT_LE(after.ops, before.ops);
    EXPECT_LE(after.crash_step, before.crash_step);
    // From its token, the minimized case fails the same way; with the bug off it passes.
    StatusOr<JointCase> token = ParseJointToken(EncodeJointToken(f.minimized.minimized));
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    const JointReplay replayed = ReplayJoint(*token);
    ASSERT_TRUE(replayed.run.failure) << bug.name << ": the minimized case passes";
    EXPECT_TRUE(replayed.run.failure->SameAs(f.failure)) << replayed.run.failure->ToString();
    token->bug = seeded::Bug::kNone;
    const JointReplay clean = ReplayJoint(*token);
    EXPECT_FALSE(clean.run.failure) << bug.name << " off: " << clean.run.failure->ToString();
  }
}

}  // namespace
}  // namespace shardstore::checker
