// Conformance throughput: sequences per second on one core, each sequence 50 generated ops run
// on a fresh harness over a MemDisk and on its model, plus the end-of-sequence checks. Target:
// >= 1,000 sequences/s/core on the store harness.
//
// Last, the crash explorer's rate: crash states recovered and checked per second.
//
// Two figures per harness: the checker's inner loop (generate 50 ops, run them, Finish) and
// the whole RapidCheck search as `shardcheck conformance` runs it (sequences of 1 to 50 ops,
// growing over the run, with RapidCheck's bookkeeping).
//
//   conformance_throughput [--sequences N] [--rounds R] [--seed S]
//
// One core, one thread: sequences per second is per core. The best of R rounds is reported
// (with the worst in parentheses), as the machine may be shared.
#include <fmt/core.h>
#include <rapidcheck.h>

#include <cstring>

#include "bench_util.h"
#include "shardstore/assert.h"
#include "shardstore/checker/conformance.h"
#include "shardstore/checker/generators.h"

namespace shardstore::bench {
namespace {

using checker::HarnessKind;

constexpr int kOpsPerSequence = 50;

std::vector<checker::Op> Generate(HarnessKind harness, rc::Random& random) {
  checker::GenState state;
  std::vector<checker::Op> ops;
  for (int i = 0; i < kOpsPerSequence; ++i) {
    const checker::Op op = checker::GenOp(harness, state)(random.split(), kOpsPerSequence).value();
    state.Apply(op);
    ops.push_back(op);
  }
  return ops;
}

int Main(int argc, char** argv) {
  uint64_t sequences = 5000;
  uint64_t seed = 1;
  uint64_t rounds = 3;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--sequences") == 0 && i + 1 < argc) {
      sequences = ParseNumber(argv[0], "--sequences", argv[++i]);
    } else if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
      rounds = ParseNumber(argv[0], "--rounds", argv[++i]);
    } else if (std::strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      seed = ParseNumber(argv[0], "--seed", argv[++i]);
    } else {
      fmt::print(stderr, "usage: {} [--sequences N] [--rounds R] [--seed S]\n", argv[0]);
      return 2;
    }
  }
  SetAssertMode(AssertMode::kThrow);
  fmt::print("{:<7} {:>15} {:>12} {:>14} {:>18}\n", "harness", "seq/s (worst)", "ops/s",
             "generation", "rapidcheck seq/s");
  for (HarnessKind harness : {HarnessKind::kStore, HarnessKind::kIndex, HarnessKind::kChunkStore}) {
    // The machine is shared: report the best of a few rounds (and the slowest, for spread).
    double best = 0, worst = 0, generate_share = 0;
    for (uint64_t round = 0; round < rounds; ++round) {
      rc::Random random(seed);
      double generate_seconds = 0;
      const Clock::time_point start = Clock::now();
      for (uint64_t s = 0; s < sequences; ++s) {
        const Clock::time_point generate_start = Clock::now();
        const checker::Case c{harness, seeded::Bug::kNone, Generate(harness, random)};
        generate_seconds += Seconds(generate_start);
        const checker::Outcome outcome = checker::RunCase(c);
        if (!outcome.ok()) Die(argv[0], "violation on the clean engine:\n" + outcome.Describe());
      }
      const double rate = sequences / Seconds(start);
      if (round == 0 || rate > best) {
        best = rate;
        generate_share = generate_seconds * rate / sequences;
      }
      if (round == 0 || rate < worst) worst = rate;
    }

    checker::ConformanceOptions options;
    options.harness = harness;
    options.seed = seed;
    options.iterations = static_cast<int>(sequences);
    options.max_ops = kOpsPerSequence;
    const checker::ConformanceReport report = checker::RunConformance(options);
    if (report.counterexample) Die(argv[0], "violation on the clean engine");

    fmt::print("{:<7} {:>8.0f} ({:>4.0f}) {:>12.0f} {:>13.0f}% {:>18.0f}\n",
               checker::HarnessName(harness), best, worst, best * kOpsPerSequence,
               100 * generate_share, report.sequences / report.search_seconds);
  }
  // The crash explorer: every disk flush of every sequence is a crash point; each state a power
  // cut there could leave is recovered on a copy of the disk and checked.
  for (HarnessKind harness : {HarnessKind::kChunkStore, HarnessKind::kStore}) {
    checker::ConformanceOptions crash;
    crash.harness = harness;
    crash.seed = seed;
    crash.iterations = static_cast<int>(std::max<uint64_t>(1, sequences / 10));
    crash.max_ops = kOpsPerSequence;
    crash.explore_crashes = checker::CrashExploration{};
    const checker::ConformanceReport explored = checker::RunConformance(crash);
    if (explored.counterexample) Die(argv[0], "crash violation on the clean engine");
    fmt::print(
        "{}crash explorer ({}): {} sequences, {} crash states in {:.1f} s: {:.0f} states/s\n",
        harness == HarnessKind::kChunkStore ? "\n" : "", checker::HarnessName(harness),
        explored.sequences, explored.crash_states, explored.search_seconds,
        explored.crash_states / explored.search_seconds);
  }
  return 0;
}

}  // namespace
}  // namespace shardstore::bench

int main(int argc, char** argv) { return shardstore::bench::Main(argc, argv); }
