// The conformance checker proves itself: silent on the clean engine, and every seeded
// functional and availability bug found, minimized to at most 8 ops, replayed from its token,
// and shown to be the cause (the same case passes with the bug off). The checker never learns a
// bug's name or site; each run below is the same search with one seeded bug on.
#include "shardstore/checker/conformance.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "shardstore/sim/seeded_bug.h"

namespace shardstore::checker {
namespace {

constexpr uint64_t kSeed = 20261123;

class CleanEngineTest : public testing::TestWithParam<HarnessKind> {};

TEST_P(CleanEngineTest, NoViolation) {
  ConformanceOptions options;
  options.harness = GetParam();
  options.seed = kSeed;
  options.iterations = 1500;
  options.max_ops = 100;
  const ConformanceReport report = RunConformance(options);
  EXPECT_TRUE(report.error.empty()) << report.error;
  ASSERT_FALSE(report.counterexample)
      << report.counterexample->replayed.Describe() << "\nreplay: shardcheck replay "
      << report.counterexample->token;
  EXPECT_EQ(report.sequences, options.iterations);
  EXPECT_GT(report.ops, static_cast<uint64_t>(options.iterations));
}

INSTANTIATE_TEST_SUITE_P(Harnesses, CleanEngineTest,
                         testing::Values(HarnessKind::kStore, HarnessKind::kIndex,
                                         HarnessKind::kChunkStore),
                         [](const auto& info) { return std::string(HarnessName(info.param)); });

std::vector<seeded::BugInfo> BugsOf(seeded::BugClass bug_class) {
  std::vector<seeded::BugInfo> bugs;
  for (const seeded::BugInfo& info : seeded::AllBugs()) {
    if (info.bug_class == bug_class) bugs.push_back(info);
  }
  return bugs;
}

// Searches the harnesses in order with `bug` on, as shardcheck does, until one finds it.
struct Search {
  std::optional<Counterexample> found;
  int sequences = 0;
};
Search SearchHarnesses(seeded::Bug bug, std::initializer_list<std::pair<HarnessKind, int>> plan,
                       bool explore_crashes) {
  Search search;
  for (const auto& [harness, iterations] : plan) {
    ConformanceOptions options;
    options.harness = harness;
    options.seed = kSeed;
    options.iterations = iterations;
    options.bug = bug;
    if (explore_crashes) options.explore_crashes = CrashExploration{};
    ConformanceReport report = RunConformance(options);
    search.sequences += report.sequences;
    if (report.counterexample) {
      search.found = std::move(report.counterexample);
      break;
    }
  }
  return search;
}

class SeededBugTest : public testing::TestWithParam<seeded::BugInfo> {};

TEST_P(SeededBugTest, FoundMinimizedAndReplayed) {
  if (!seeded::CompiledIn()) GTEST_SKIP() << "built without SHARDSTORE_SEEDED_BUGS";
  auto [found, sequences] = SearchHarnesses(
      GetParam().bug,
      {{HarnessKind::kStore, 5000}, {HarnessKind::kIndex, 5000}, {HarnessKind::kChunkStore, 5000}},
      /*explore_crashes=*/false);
  ASSERT_TRUE(found) << GetParam().name << " was not found in " << sequences << " sequences";
  EXPECT_LE(found->minimized.ops.size(), 8u) << found->replayed.Describe();
  EXPECT_FALSE(found->replayed.ok()) << "the minimized case no longer fails";

  const std::optional<Case> decoded = DecodeToken(found->token);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->ops, found->minimized.ops);
  EXPECT_EQ(decoded->bug, GetParam().bug);
  EXPECT_FALSE(RunCase(*decoded).ok());

  Case clean = *decoded;
  clean.bug = seeded::Bug::kNone;
  EXPECT_TRUE(RunCase(clean).ok()) << "the case fails without the bug:\n"
                                   << RunCase(clean).Describe();
}

INSTANTIATE_TEST_SUITE_P(Functional, SeededBugTest,
                         testing::ValuesIn(BugsOf(seeded::BugClass::kFunctional)),
                         [](const auto& info) { return std::string(info.param.name); });

// Availability bugs: every answer stays right, so only the store harness's reclamation-cost
// invariant can see them. Found, minimized and replayed as the functional bugs are; and the same
// search with that invariant off finds nothing (every other check passes), nor does the
// minimized case fail without it.
INSTANTIATE_TEST_SUITE_P(Availability, SeededBugTest,
                         testing::ValuesIn(BugsOf(seeded::BugClass::kAvailability)),
                         [](const auto& info) { return std::string(info.param.name); });

class AvailabilityBugTest : public testing::TestWithParam<seeded::BugInfo> {};

TEST_P(AvailabilityBugTest, OnlyTheReclamationCostInvariantFindsIt) {
  if (!seeded::CompiledIn()) GTEST_SKIP() << "built without SHARDSTORE_SEEDED_BUGS";
  ConformanceOptions options;
  options.harness = HarnessKind::kStore;
  options.seed = kSeed;
  options.iterations = 2000;
  options.bug = GetParam().bug;
  const ConformanceReport with = RunConformance(options);
  ASSERT_TRUE(with.counterexample)
      << GetParam().name << " was not found in " << with.sequences << " sequences";
  EXPECT_NE(with.search_violation.find("reclamation"), std::string::npos) << with.search_violation;

  // The same sequences, the sequence that failed among them, with the invariant off.
  options.check_reclamation_cost = false;
  options.iterations = with.sequences;
  const ConformanceReport without = RunConformance(options);
  EXPECT_TRUE(without.error.empty()) << without.error;
  EXPECT_EQ(without.sequences, with.sequences);
  EXPECT_FALSE(without.counterexample) << without.counterexample->replayed.Describe();

  // The minimized case, step by step, without the invariant.
  const seeded::Scope bug(GetParam().bug);
  std::unique_ptr<Harness> harness =
      MakeHarness(HarnessKind::kStore, std::nullopt, /*check_reclamation_cost=*/false);
  for (const Op& op : with.counterexample->minimized.ops) {
    const std::optional<std::string> violation = harness->Run(op);
    ASSERT_FALSE(violation) << Show(op) << ": " << *violation;
  }
  const std::optional<std::string> at_end = harness->Finish();
  EXPECT_FALSE(at_end) << *at_end;
}

INSTANTIATE_TEST_SUITE_P(Availability, AvailabilityBugTest,
                         testing::ValuesIn(BugsOf(seeded::BugClass::kAvailability)),
                         [](const auto& info) { return std::string(info.param.name); });

// The crash explorer: every disk flush of every sequence is a crash point.
class CrashExplorerTest : public testing::TestWithParam<HarnessKind> {};

TEST_P(CrashExplorerTest, CleanEngineSurvivesEveryExploredCrash) {
  ConformanceOptions options;
  options.harness = GetParam();
  options.seed = kSeed;
  options.iterations = 60;
  options.explore_crashes = CrashExploration{};
  const ConformanceReport report = RunConformance(options);
  ASSERT_FALSE(report.counterexample)
      << report.counterexample->replayed.Describe() << "\nreplay: shardcheck replay "
      << report.counterexample->token;
  EXPECT_GT(report.crash_states, 1000u);
}

INSTANTIATE_TEST_SUITE_P(Harnesses, CrashExplorerTest,
                         testing::Values(HarnessKind::kChunkStore, HarnessKind::kStore),
                         [](const auto& info) { return std::string(HarnessName(info.param)); });

class SeededCrashBugTest : public testing::TestWithParam<seeded::BugInfo> {};

TEST_P(SeededCrashBugTest, FoundMinimizedAndReplayed) {
  if (!seeded::CompiledIn()) GTEST_SKIP() << "built without SHARDSTORE_SEEDED_BUGS";
  // As `shardcheck crash` searches: the chunk store, then the whole store (the chunk store's
  // bugs show within a hundred sequences; its search is kept short for CI).
  auto [found, sequences] = SearchHarnesses(
      GetParam().bug, {{HarnessKind::kChunkStore, 200}, {HarnessKind::kStore, 1000}},
      /*explore_crashes=*/true);
  ASSERT_TRUE(found) << GetParam().name << " was not found in " << sequences << " sequences";
  EXPECT_LE(found->minimized.ops.size(), 10u) << found->replayed.Describe();
  EXPECT_FALSE(found->replayed.ok()) << "the minimized case no longer fails";
  // The token replays without the explorer: the crash is a DirtyReboot op in the case.
  const StatusOr<Case> parsed = ParseToken(found->token);
  ASSERT_TRUE(parsed.ok()) << found->token << ": " << parsed.status().ToString();
  const std::optional<Case> decoded = *parsed;
  EXPECT_FALSE(RunCase(*decoded).ok());
  Case clean = *decoded;
  clean.bug = seeded::Bug::kNone;
  EXPECT_TRUE(RunCase(clean).ok()) << "the case fails without the bug:\n"
                                   << RunCase(clean).Describe();
}

INSTANTIATE_TEST_SUITE_P(Crash, SeededCrashBugTest,
                         testing::ValuesIn(BugsOf(seeded::BugClass::kCrash)),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace shardstore::checker
