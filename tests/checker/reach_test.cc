// Reach: the generators and harnesses get to every limit and fault site they claim to, shown by
// coverage points hit in fixed-seed runs; and every replay the checker prints fails again.
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
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
// carry what it depends on: the ops without their power cuts (or without the last one, when an
// earlier one shapes the disk the failing crash starts from), explored again, fail again. Only a
// bug that shows in what the store does *after* recovering from a cut cannot be replayed so (the
// explorer checks each recovery, then goes on with the run that did not crash): its case must
// still fail as it is.
TEST(ReplayTest, AnExploredCaseFailsAgainWithoutItsPowerCut) {
  if (!seeded::CompiledIn()) GTEST_SKIP() << "built without SHARDSTORE_SEEDED_BUGS";
  const auto explored_fails = [](Case explored) {
    explored.explore = true;
    const std::optional<Case> decoded = DecodeToken(EncodeToken(explored));
    EXPECT_TRUE(decoded && decoded->explore) << EncodeToken(explored);
    return decoded && !RunCase(*decoded).ok();
  };
  int replaced = 0;
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
    const Case minimized = report.counterexample->minimized;
    Case without_cuts = minimized;
    std::erase_if(without_cuts.ops, [](const Op& op) { return op.kind == OpKind::kDirtyReboot; });
    Case without_last = minimized;
    const auto last = std::find_if(without_last.ops.rbegin(), without_last.ops.rend(),
                                   [](const Op& op) { return op.kind == OpKind::kDirtyReboot; });
    if (last != without_last.ops.rend()) without_last.ops.erase(std::next(last).base());
    if (explored_fails(without_cuts) || explored_fails(without_last)) {
      ++replaced;
      continue;
    }
    EXPECT_FALSE(RunCase(minimized).ok())
        << info.name << " is neither replayed by the explorer nor by its own power cut: "
        << EncodeToken(minimized);
  }
  // The chunk store's crash bugs, but for those that show only after a recovery.
  EXPECT_GE(replaced, 3);
}

}  // namespace
}  // namespace shardstore::checker
