// Campaigns: shards partition the work and reproduce, runs of any length agree on what they
// share, the harnesses take turns, and a finding record alone replays its failure.
#include "shardstore/checker/campaign.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "shardstore/checker/conformance.h"
#include "shardstore/checker/crash_concurrency_check.h"
#include "shardstore/checker/replay.h"
#include "shardstore/checker/store_concurrency.h"
#include "shardstore/sim/coverage.h"
#include "shardstore/sim/seeded_bug.h"

namespace shardstore::checker {
namespace {

Getenv Environment(std::map<std::string, std::string> variables) {
  return [variables = std::move(variables)](const char* name) -> const char* {
    const auto it = variables.find(name);
    return it == variables.end() ? nullptr : it->second.c_str();
  };
}

TEST(ShardTest, ParsesIndexOfCount) {
  ASSERT_TRUE(ParseShard("3/4"));
  EXPECT_EQ(ParseShard("3/4")->index, 3u);
  EXPECT_EQ(ParseShard("3/4")->count, 4u);
  for (const char* bad : {"4/4", "1/0", "x/4", "1/", "/4", "1-4", "", "-1/4", "1/4/5"}) {
    EXPECT_FALSE(ParseShard(bad)) << bad;
  }
}

TEST(ShardTest, ReadsEveryBatchEnginesIndex) {
  const ShardOrError slurm = ResolveShard(
      "", 0, Environment({{"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}));
  ASSERT_TRUE(slurm.shard) << slurm.error;
  EXPECT_EQ(slurm.shard->ToString(), "2/4");
  const ShardOrError kubernetes =
      ResolveShard("", 0, Environment({{"JOB_COMPLETION_INDEX", "5"}, {"SHARDCHECK_SHARDS", "8"}}));
  ASSERT_TRUE(kubernetes.shard) << kubernetes.error;
  EXPECT_EQ(kubernetes.shard->ToString(), "5/8");
  const ShardOrError kubernetes_flag =
      ResolveShard("", 6, Environment({{"JOB_COMPLETION_INDEX", "5"}}));
  ASSERT_TRUE(kubernetes_flag.shard) << kubernetes_flag.error;
  EXPECT_EQ(kubernetes_flag.shard->ToString(), "5/6");
  const ShardOrError aws = ResolveShard(
      "", 0, Environment({{"AWS_BATCH_JOB_ARRAY_INDEX", "0"}, {"AWS_BATCH_JOB_ARRAY_SIZE", "3"}}));
  ASSERT_TRUE(aws.shard) << aws.error;
  EXPECT_EQ(aws.shard->ToString(), "0/3");
  EXPECT_EQ(ResolveShard("", 0, Environment({})).shard->ToString(), "0/1");
  // The flag wins over the environment.
  EXPECT_EQ(ResolveShard("1/2", 0, Environment({{"SLURM_ARRAY_TASK_ID", "3"}})).shard->ToString(),
            "1/2");
}

TEST(ShardTest, RefusesWhatDoesNotAddUp) {
  EXPECT_FALSE(ResolveShard("", 0, Environment({{"JOB_COMPLETION_INDEX", "1"}})).shard);
  EXPECT_NE(ResolveShard("", 0, Environment({{"JOB_COMPLETION_INDEX", "1"}})).error, "");
  EXPECT_FALSE(
      ResolveShard("", 0,
                   Environment({{"SLURM_ARRAY_TASK_ID", "4"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}))
          .shard);
  EXPECT_FALSE(ResolveShard("", 0, Environment({{"AWS_BATCH_JOB_ARRAY_INDEX", "x"}})).shard);
  EXPECT_FALSE(ResolveShard("1/4", 3, Environment({})).shard);
  EXPECT_FALSE(ResolveShard("", 3, Environment({})).shard);  // a count without an index
}

TEST(ShardTest, ShardsPartitionTheSequences) {
  constexpr uint64_t kEnd = 1000;
  for (uint32_t count : {1u, 2u, 3u, 7u, 40u}) {
    std::vector<int> runs(kEnd, 0);
    for (uint32_t index = 0; index < count; ++index) {
      ForEachOwnedBlock(Shard{index, count}, kEnd, [&](uint64_t first, uint64_t n) {
        for (uint64_t i = first; i < first + n; ++i) {
          ++runs[i];
          EXPECT_TRUE((Shard{index, count}.Owns(i)));
        }
        return true;
      });
    }
    for (uint64_t i = 0; i < kEnd; ++i) ASSERT_EQ(runs[i], 1) << i << " of " << count;
  }
}

TEST(ShardTest, SequenceSeedsDoNotRepeat) {
  std::set<uint64_t> seeds;
  for (const char* stream : {"conformance/store", "conformance/index", "crash/store"}) {
    for (uint64_t i = 0; i < 10000; ++i) seeds.insert(SequenceSeed(1, stream, i));
  }
  for (uint64_t i = 0; i < 10000; ++i) seeds.insert(SequenceSeed(2, "conformance/store", i));
  EXPECT_EQ(seeds.size(), 40000u);
}

// A run of sequences [0, n) is the same as n runs of one sequence each: nothing carries over.
TEST(ConformanceStreamTest, EachSequenceIsItsOwn) {
  ConformanceOptions batch;
  batch.harness = HarnessKind::kIndex;
  batch.seed = 11;
  batch.iterations = 40;
  const ConformanceReport whole = RunConformance(batch);
  ASSERT_FALSE(whole.counterexample);
  uint64_t ops = 0;
  std::map<std::string, uint64_t> coverage;
  for (int i = 0; i < batch.iterations; ++i) {
    ConformanceOptions one = batch;
    one.first_sequence = static_cast<uint64_t>(i);
    one.iterations = 1;
    const ConformanceReport report = RunConformance(one);
    ops += report.ops;
    for (const auto& [path, hits] : report.coverage) coverage[path] += hits;
  }
  EXPECT_EQ(ops, whole.ops);
  EXPECT_EQ(coverage, whole.coverage);
}

SS_COVERAGE_POINT(kFlakyPath, "test: a path taken every other run");

// The self-check: a harness that takes another path the second time is reported, as
// nondeterminism, at a sampled sequence; a deterministic one never is.
TEST(ConformanceStreamTest, TheDeterminismSelfCheckCatchesADifference) {
  ConformanceOptions options;
  options.harness = HarnessKind::kIndex;
  options.iterations = 200;
  options.determinism_check_every = 10;
  const ConformanceReport steady = RunConformance(options);
  EXPECT_FALSE(steady.nondeterminism) << *steady.nondeterminism;
  EXPECT_GT(steady.determinism_checks, 5u);
  EXPECT_LT(steady.determinism_checks, 50u);

  int runs = 0;
  options.on_sequence_start = [&] {
    if (++runs % 2 == 0) SS_COVER(kFlakyPath);
  };
  const ConformanceReport flaky = RunConformance(options);
  ASSERT_TRUE(flaky.nondeterminism);
  EXPECT_NE(flaky.nondeterminism->find("not deterministic"), std::string::npos);
  EXPECT_FALSE(flaky.counterexample);
  EXPECT_EQ(flaky.failing_seed,
            SequenceSeed(options.seed, "conformance/index", flaky.failing_sequence));
}

CampaignOptions Conformance(uint64_t iterations, Shard shard = {}) {
  CampaignOptions options;
  options.suite = Suite::kConformance;
  options.seed = 5;
  options.iterations = iterations;
  options.shard = shard;
  options.harnesses = *SuiteHarnesses(Suite::kConformance, "all");
  return options;
}

TEST(CampaignTest, ShardsAddUpToTheUnshardedRun) {
  const CampaignReport whole = RunCampaign(Conformance(200));
  ASSERT_TRUE(whole.findings.empty());
  std::map<std::string, HarnessTotals> totals;
  std::map<std::string, uint64_t> paths, ops;
  for (uint32_t i = 0; i < 4; ++i) {
    const CampaignReport shard = RunCampaign(Conformance(200, Shard{i, 4}));
    ASSERT_TRUE(shard.findings.empty());
    for (const auto& [name, t] : shard.summary.harnesses) totals[name].Add(t);
    for (const auto& [path, hits] : shard.summary.path_coverage) paths[path] += hits;
    for (const auto& [op, hits] : shard.summary.op_coverage) ops[op] += hits;
  }
  for (const auto& [name, t] : whole.summary.harnesses) {
    EXPECT_EQ(totals[name].sequences, 200u) << name;
    EXPECT_EQ(totals[name].sequences, t.sequences) << name;
    EXPECT_EQ(totals[name].ops, t.ops) << name;
  }
  EXPECT_EQ(paths, whole.summary.path_coverage);
  EXPECT_EQ(ops, whole.summary.op_coverage);
}

TEST(CampaignTest, AShardReproducesExactly) {
  const CampaignReport first = RunCampaign(Conformance(300, Shard{1, 3}));
  const CampaignReport again = RunCampaign(Conformance(300, Shard{1, 3}));
  EXPECT_EQ(first.summary.path_coverage, again.summary.path_coverage);
  EXPECT_EQ(first.summary.op_coverage, again.summary.op_coverage);
}

TEST(CampaignTest, AShortRunIsAPrefixOfALongOne) {
  if (!seeded::CompiledIn()) GTEST_SKIP() << "built without SHARDSTORE_SEEDED_BUGS";
  CampaignOptions options = Conformance(100000);
  options.bug = seeded::Bug::kValueSplitDropsLastByte;
  const CampaignReport long_run = RunCampaign(options);
  ASSERT_EQ(long_run.findings.size(), 1u);
  options.iterations = long_run.findings[0].sequence + 1;
  const CampaignReport short_run = RunCampaign(options);
  ASSERT_EQ(short_run.findings.size(), 1u);
  EXPECT_EQ(short_run.findings[0].sequence, long_run.findings[0].sequence);
  EXPECT_EQ(short_run.findings[0].token, long_run.findings[0].token);
  EXPECT_EQ(short_run.findings[0].signature, long_run.findings[0].signature);
  // One sequence fewer and that harness does not see it (iterations 0 would mean no limit).
  if (long_run.findings[0].sequence == 0) return;
  options.iterations = long_run.findings[0].sequence;
  options.harnesses = {long_run.findings[0].harness};
  EXPECT_TRUE(RunCampaign(options).findings.empty());
}

TEST(CampaignTest, TheTimeBudgetStopsTheRunAndEveryHarnessGetsTurns) {
  CampaignOptions options;
  options.suite = Suite::kCrash;
  options.harnesses = *SuiteHarnesses(Suite::kCrash, "all");
  options.iterations = 0;  // no limit
  options.time_budget_seconds = 4;
  const CampaignReport report = RunCampaign(options);
  EXPECT_EQ(report.summary.stopped_by, "time-budget");
  EXPECT_LT(report.summary.seconds, 30.0);
  // The chunk store's sequences are far cheaper; it must not take the whole budget.
  ASSERT_EQ(report.summary.harnesses.size(), 2u);
  for (const auto& [name, totals] : report.summary.harnesses) {
    EXPECT_GT(totals.sequences, 0u) << name << " never had a turn";
  }
}

TEST(CampaignTest, KeepGoingRunsTheWholeShareAndMinimizesEachViolationOnce) {
  if (!seeded::CompiledIn()) GTEST_SKIP() << "built without SHARDSTORE_SEEDED_BUGS";
  CampaignOptions options = Conformance(256);
  options.bug = seeded::Bug::kValueSplitDropsLastByte;
  options.keep_going = true;
  const CampaignReport report = RunCampaign(options);
  EXPECT_EQ(report.summary.stopped_by, "iterations");
  for (const auto& [name, totals] : report.summary.harnesses) {
    EXPECT_EQ(totals.sequences, 256u) << name;
  }
  ASSERT_EQ(report.findings.size(), 1u);
  EXPECT_EQ(report.findings[0].harness, "store");
  EXPECT_GT(report.summary.harnesses.at("store").repeats, 0u);
}

// From the record's JSON text alone: parse it, replay its token, see the same violation; and
// the same case passes with the bug off.
TEST(CampaignTest, AFindingRecordAloneReplaysTheFailure) {
  if (!seeded::CompiledIn()) GTEST_SKIP() << "built without SHARDSTORE_SEEDED_BUGS";
  CampaignOptions options = Conformance(1000, Shard{2, 5});
  options.bug = seeded::Bug::kValueSplitDropsLastByte;
  const CampaignReport report = RunCampaign(options);
  ASSERT_EQ(report.findings.size(), 1u);
  const std::string text = ToJson(report.findings[0]).dump();

  const StatusOr<FindingRecord> record = FindingFromJson(nlohmann::json::parse(text));
  ASSERT_TRUE(record.ok()) << record.status().message();
  EXPECT_EQ(record->shard.ToString(), "2/5");
  EXPECT_EQ(record->replay, "shardcheck replay " + record->token);
  EXPECT_LE(record->minimized_length, record->found_length);
  EXPECT_NE(record->gtest, "");
  const StatusOr<Case> c = ParseToken(record->token);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->ops.size(), record->minimized_length);
  const Outcome outcome = RunCase(*c);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(*outcome.violation, record->violation);
  EXPECT_EQ(outcome.steps, record->steps);
  Case clean = *c;
  clean.bug = seeded::Bug::kNone;
  EXPECT_TRUE(RunCase(clean).ok());
}

TEST(CampaignTest, AConcurrencyFindingRecordAloneReplaysItsSchedule) {
  if (!seeded::CompiledIn()) GTEST_SKIP() << "built without SHARDSTORE_SEEDED_BUGS";
  CampaignOptions options;
  options.suite = Suite::kConcurrency;
  options.harnesses = *SuiteHarnesses(Suite::kConcurrency, "all");
  options.iterations = 2000;
  options.bug = seeded::Bug::kListSnapshotsRunsAndMemtableApart;
  const CampaignReport report = RunCampaign(options);
  ASSERT_FALSE(report.findings.empty());
  const StatusOr<FindingRecord> record =
      FindingFromJson(nlohmann::json::parse(ToJson(report.findings[0]).dump()));
  ASSERT_TRUE(record.ok()) << record.status().message();
  const std::optional<StoreWorkload> workload = FindStoreWorkload(record->harness);
  ASSERT_TRUE(workload);
  const std::optional<seeded::BugInfo> bug = seeded::FindBug(record->bug);
  ASSERT_TRUE(bug);
  {
    const seeded::Scope scope(bug->bug);
    const ConcurrencyReport replay =
        Replay(StoreConcurrencyBody(*workload, record->seed), record->token);
    ASSERT_FALSE(replay.ok());
    EXPECT_EQ(FailureKindName(replay.kind), record->kind);
  }
  EXPECT_TRUE(Replay(StoreConcurrencyBody(*workload, record->seed), record->token).ok());
}

// Crash-concurrency is a campaign suite like the others: its shards add up, and its finding
// record carries a token that replays operations, schedule and crash plan together.
TEST(CampaignTest, CrashConcurrencyShardsAddUpAndItsFindingReplaysFromItsToken) {
  CampaignOptions options;
  options.suite = Suite::kCrashConcurrency;
  options.seed = 3;
  options.iterations = 64;
  options.harnesses = *SuiteHarnesses(Suite::kCrashConcurrency, "all");
  const CampaignReport whole = RunCampaign(options);
  ASSERT_TRUE(whole.findings.empty()) << whole.findings[0].violation;
  for (uint32_t i = 0; i < 2; ++i) {
    CampaignOptions half = options;
    half.shard = Shard{i, 2};
    const CampaignReport shard = RunCampaign(half);
    for (const auto& [name, t] : shard.summary.harnesses) {
      EXPECT_EQ(t.sequences, 32u) << name;
    }
  }
  if (!seeded::CompiledIn()) GTEST_SKIP() << "built without SHARDSTORE_SEEDED_BUGS";
  options.harnesses = {"chunk-writers"};
  options.strategy = "random";
  options.iterations = 3000;
  options.seed = 1;
  options.bug = seeded::Bug::kCommitListedBeforeWritten;
  const CampaignReport report = RunCampaign(options);
  ASSERT_EQ(report.findings.size(), 1u);
  const StatusOr<FindingRecord> record =
      FindingFromJson(nlohmann::json::parse(ToJson(report.findings[0]).dump()));
  ASSERT_TRUE(record.ok()) << record.status().message();
  EXPECT_EQ(record->suite, "crash-concurrency");
  EXPECT_TRUE(record->power_cut.contains("schedule_step"));
  EXPECT_TRUE(record->timeline.contains("points"));
  const StatusOr<JointCase> c = ParseJointToken(record->token);
  ASSERT_TRUE(c.ok()) << c.status().message();
  const JointReplay replay = ReplayJoint(*c);
  ASSERT_TRUE(replay.run.failure);
  EXPECT_EQ(FailureKindName(replay.run.failure->kind), record->kind);
  EXPECT_EQ(record->power_cut["schedule_step"].get<uint64_t>(), replay.size.crash_step);
}

}  // namespace
}  // namespace shardstore::checker
