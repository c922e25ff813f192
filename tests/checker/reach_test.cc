// Reach: the generators and harnesses get to every limit and fault site they claim to, shown by
// coverage points hit in fixed-seed runs; and every replay the checker prints fails again.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "shardstore/checker/conformance.h"
#include "shardstore/sim/seeded_bug.h"

namespace shardstore::checker {
namespace {

constexpr uint64_t kSeed = 20261123;

ConformanceReport Search(HarnessKind harness, int iterations) {
  ConformanceOptions options;
  options.harness = harness;
  options.seed = kSeed;
  options.iterations = iterations;
  options.max_ops = 60;
  return RunConformance(options);
}

void ExpectReached(const ConformanceReport& report, const std::vector<std::string>& points) {
  ASSERT_FALSE(report.counterexample) << report.counterexample->replayed.Describe();
  for (const std::string& point : points) {
    ASSERT_TRUE(report.coverage.contains(point)) << "no coverage point '" << point << "'";
    EXPECT_GT(report.coverage.at(point), 0u) << "never reached: " << point;
  }
}

TEST(ReachTest, StoreHarnessReachesLimitsReserveAndDamage) {
  ExpectReached(Search(HarnessKind::kStore, 400),
                {
                    "append framed a key of exactly kKeyBytesMax bytes",
                    "store refused a key longer than kKeyBytesMax",
                    "checker: a step ended with free extents at the Put reserve",
                    "checker: a Put was refused NoSpace at the reserve",
                    "checker: Fill reached NoSpace, then deleted and flushed at the reserve",
                    "checker: store harness dropped the read cache and read back",
                    "checker: store harness flipped a bit of a live data chunk",
                    "checker: store harness flipped a bit of a live index run chunk",
                    "checker: store harness flipped a bit of the index metadata",
                    "checker: store harness flipped a bit of superblock slot 0",
                    "checker: store harness flipped a bit of superblock slot 1",
                    "checker: store Verify reported damage on the medium",
                    "checker: a reopen found damage, Corruption; bits flipped back",
                    "checker: a reopen on a damaged superblock slot compared with the slot "
                    "erased",
                    "checker: Fill reached NoSpace and left the disk full",
                    "checker: a Put or Delete at low free extents owed a reclamation (bytes "
                    "died in a sealed extent)",
                });
}

TEST(ReachTest, ChunkAndIndexHarnessesReachTheKeyLimitAndColdReads) {
  ExpectReached(Search(HarnessKind::kChunkStore, 300),
                {
                    "append framed a key of exactly kKeyBytesMax bytes",
                    "append refused a key past kKeyBytesMax or a frame past an extent",
                    "checker: chunk harness dropped the read cache and read back",
                });
  ExpectReached(Search(HarnessKind::kIndex, 300),
                {"index run held a key of exactly kKeyBytesMax bytes"});
}

// A crash finding replays under the crash explorer when a DirtyReboot op in the case cannot
// carry what it depends on: the ops alone, explored again, fail again.
TEST(ReplayTest, AnExploredCaseFailsAgainWithoutItsPowerCut) {
  if (!seeded::CompiledIn()) GTEST_SKIP() << "built without SHARDSTORE_SEEDED_BUGS";
  for (const seeded::BugInfo& info : seeded::AllBugs()) {
    if (info.bug_class != seeded::BugClass::kCrash) continue;
    ConformanceOptions options;
    options.harness = HarnessKind::kChunkStore;
    options.seed = kSeed;
    options.iterations = 200;
    options.bug = info.bug;
    options.explore_crashes = CrashExploration{};
    ConformanceReport report = RunConformance(options);
    if (!report.counterexample) continue;  // a store-level bug
    ASSERT_TRUE(report.counterexample->reproduces()) << info.name;
    Case explored = report.counterexample->minimized;
    std::erase_if(explored.ops, [](const Op& op) { return op.kind == OpKind::kDirtyReboot; });
    explored.explore = true;
    const std::optional<Case> decoded = DecodeToken(EncodeToken(explored));
    ASSERT_TRUE(decoded) << EncodeToken(explored);
    EXPECT_TRUE(decoded->explore);
    EXPECT_FALSE(RunCase(*decoded).ok()) << info.name << ": " << EncodeToken(explored);
  }
}

}  // namespace
}  // namespace shardstore::checker
