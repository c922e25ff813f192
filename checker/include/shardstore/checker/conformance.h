// Conformance: RapidCheck stateful testing of a harness against its model, with shrinking.
//
// Each generated sequence is a list of rc::state commands, one per op, run on a fresh harness
// from an empty disk. On the first violation RapidCheck shrinks the sequence (drops steps,
// simplifies arguments) while it still fails; the report carries the minimized case, its
// readable steps, a replay token and a GoogleTest. A run is a function of (seed, commit).
//
// Sequence i is generated from its own seed, SequenceSeed(seed, stream, i) (shard.h), and a
// size drawn from it, never from the sequence before: a run of [first_sequence, first_sequence +
// iterations) is a slice of one endless stream, so runs of any length and any shard agree on
// every sequence they share. RapidCheck generates and shrinks each sequence; this file drives it
// one sequence at a time.
//
// Determinism self-check: every `determinism_check_every`-th sequence (chosen by its seed) runs
// twice; a different trace (ops, what each step resolved to, engine paths hit) is reported as
// `nondeterminism`, apart from any engine violation.
//
// Coverage: the report counts every op kind run and every engine coverage point hit
// (shardstore/coverage.h) during the search, so the paths the generators never reach show.
//
// Thread-safety: one run at a time per process (seeded bugs and coverage are process-wide).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "shardstore/checker/harness.h"
#include "shardstore/checker/replay.h"
#include "shardstore/checker/store_harness.h"
#include "shardstore/checker/swarm.h"
#include "shardstore/sim/seeded_bug.h"

namespace shardstore::checker {

struct ConformanceOptions {
  HarnessKind harness = HarnessKind::kStore;
  uint64_t seed = 1;            // the campaign's seed
  int iterations = 1000;        // sequences
  uint64_t first_sequence = 0;  // the index of the first, in the harness's stream
  int max_ops = 50;             // sequences are 1 to max_ops ops long
  seeded::Bug bug = seeded::Bug::kNone;
  // The crash explorer (chunk and store harnesses): every disk flush is a crash point.
  std::optional<CrashExploration> explore_crashes;
  // Called after each sequence of the search with the number run so far.
  std::function<void(int)> on_progress;
  // Called as each sequence starts, inside what the determinism self-check compares (tests
  // make a harness nondeterministic through it).
  std::function<void()> on_sequence_start;
  // Asked before each sequence: true ends the search there (a time budget).
  std::function<bool()> should_stop;
  uint32_t determinism_check_every = 20;  // 0: never
  // Off: a failure is reported as found, not shrunk (a benchmark of time to find; a replay
  // token still only when the case fails again).
  bool minimize = true;
  // Asked with the search's violation before minimizing it: false reports it unshrunk (a
  // campaign that goes on past findings minimizes each kind of violation once).
  std::function<bool(const std::string& violation)> minimize_if;
  // Swarm testing (swarm.h): generate only these op kinds (the alphabet's others are left out).
  std::optional<OpKindSet> swarm_ops;
  // Store harness: check that reclamation pays for itself (StoreHarness). Off only to show that
  // a bug of that class passes every other check.
  bool check_reclamation_cost = true;
};

// The stream a harness's sequences are numbered in: "conformance/store", "crash/chunk".
std::string SequenceStream(HarnessKind harness, bool explore_crashes);

struct Counterexample {
  Case minimized;
  size_t original_ops = 0;    // length of the first failing sequence, before shrinking
  size_t rapidcheck_ops = 0;  // length after RapidCheck's shrinking, before Minimize's
  int shrinks = 0;            // shrinks accepted, RapidCheck's and Minimize's
  Outcome replayed;           // the minimized case run again, without RapidCheck
  // The replay token and the GoogleTest; both empty when no case failed again outside the
  // search (`replayed` then passes and `search_violation` says what the search saw): a replay
  // that passes is never printed.
  std::string token;
  std::string gtest;
  std::string search_violation;
  bool reproduces() const { return !token.empty(); }
};

struct ConformanceReport {
  HarnessKind harness = HarnessKind::kStore;
  uint64_t seed = 0;
  int sequences = 0;              // run in the search, the failing one included
  bool stopped = false;           // should_stop ended the search
  uint64_t failing_sequence = 0;  // with a counterexample or nondeterminism: its index
  uint64_t failing_seed = 0;      // and its seed
  std::string search_violation;   // with a counterexample: what the search saw, unshrunk
  bool minimized = false;         // the counterexample was shrunk
  uint64_t ops = 0;               // run in those sequences
  uint64_t crash_states = 0;      // recovered and checked by the crash explorer in the search
  double search_seconds = 0;
  double shrink_seconds = 0;
  std::array<uint64_t, kOpKindCount> op_counts{};
  std::map<std::string, uint64_t> coverage;  // engine coverage points hit during the search
  std::optional<Counterexample> counterexample;
  // The determinism self-check: a sequence that ran twice and did something else the second
  // time ("the trace of ops and engine paths differs"), with its case.
  std::optional<std::string> nondeterminism;
  Case nondeterministic_case;
  uint64_t determinism_checks = 0;
  std::string error;  // RapidCheck gave up or failed outside a harness
};

ConformanceReport RunConformance(const ConformanceOptions& options);

}  // namespace shardstore::checker
