// Cases, replay tokens and pasted tests: a failing sequence in forms a person can act on.
//
// A Case is a harness, the seeded bug that was on (if any) and the concrete ops. Its replay
// token spells all three out, e.g. `ss1:store:-:P1,4097,7.R0.G1` (`ss1:store+explore:...` when
// the case must run under the crash explorer), so it keeps reproducing
// after code edits that keep the operation alphabet (a seed alone would not). RunCase runs a
// case without RapidCheck; GTestFor prints it as a test for tests/regress/.
//
// Thread-safety: values; RunCase turns the case's seeded bug on for the process while it runs.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shardstore/checker/harness.h"
#include "shardstore/checker/op.h"
#include "shardstore/checker/results.h"
#include "shardstore/sim/seeded_bug.h"
#include "shardstore/status.h"

namespace shardstore::checker {

struct Case {
  HarnessKind harness = HarnessKind::kStore;
  seeded::Bug bug = seeded::Bug::kNone;
  std::vector<Op> ops;
  // Run with the crash explorer, every disk flush a crash point: for a crash finding that a
  // DirtyReboot op in the case does not reproduce, the replay explores again instead of
  // printing a case that passes. The token writes it as `+explore` after the harness.
  bool explore = false;
};

std::string EncodeToken(const Case& c);
// InvalidArgument saying why for a token that is malformed, names an unknown harness or bug,
// holds an op outside the harness's alphabet, or an argument out of range (a key longer than
// kKeyBytesMax + 1 bytes, a value larger than kValueBytesMax): bad input, never a run.
StatusOr<Case> ParseToken(std::string_view token);
// ParseToken without the reason.
std::optional<Case> DecodeToken(std::string_view token);

struct Outcome {
  bool ok() const { return !violation.has_value(); }
  std::optional<std::string> violation;
  size_t failed_step = 0;          // index into ops; ops.size() when Finish() failed
  std::vector<std::string> steps;  // each op as run, with what it resolved to
  // Per step, what it read back: the engine's answer and the model's (both empty: none); one
  // more for the end-of-sequence checks when they failed.
  std::vector<std::pair<std::string, std::string>> results;
  // The last power cut of the run, and the step (index into ops) that made it.
  std::optional<MemDisk::PowerCut> power_cut;
  size_t power_cut_step = 0;
  std::string Describe() const;
};

// Runs the case's ops on a fresh harness (with its bug on, and the crash explorer when the case
// says so), then Finish(); stops at the first violation.
Outcome RunCase(const Case& c);

// A GoogleTest reproducing the case without RapidCheck; `name` becomes the test's name.
std::string GTestFor(const Case& c, std::string_view name, std::string_view violation);

// What a report draws of a replayed case that failed: the failing step, each step's results
// [engine, model], and the last power cut (the pages pending then, what each kept).
void AddReplayDetail(const Outcome& replayed, FindingRecord* f);

// A failing replay of `token` as a finding record (crash when the case cut the power or runs
// under the explorer, else conformance), so `shardcheck replay` draws it as a search would.
// REQUIRES: !replayed.ok().
FindingRecord ReplayFinding(const Case& c, const Outcome& replayed, std::string_view token);

}  // namespace shardstore::checker
