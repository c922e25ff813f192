// Results records: what a checker run leaves behind, one JSON object per record.
//
// A finding record is self-contained: from it alone a person (or `shardcheck replay`) can
// reproduce and understand the failure — suite, harness, kind, the violation in one sentence,
// the campaign seed, the sequence's own seed and index, the shard, the build's commit and type,
// the replay command and token (the ops with any power cut in them, or the schedule with the
// program's seed), the minimized steps and both lengths, the GoogleTest to paste, and a
// signature for deduplication. A summary record closes each shard's file: counts, seconds,
// coverage, and why the run stopped.
//
// `--results DIR` writes DIR/<suite>-shard-<I>-of-<N>.jsonl: a start record, the findings as
// they are found, the summary last. A file without its summary is a shard that did not finish.
// The schema is versioned ("schema": kResultsSchema); docs/results-schema.md describes it and
// readers refuse versions they do not know.
//
// Thread-safety: values; a ResultsWriter is used by one thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shardstore/checker/shard.h"
#include "shardstore/status.h"

namespace shardstore::checker {

inline constexpr int kResultsSchema = 1;

// The commit (with "-dirty" when the tree had changes) and build type of this binary.
struct BuildInfo {
  std::string commit;
  std::string build_type;
};
BuildInfo ThisBuild();

struct FindingRecord {
  std::string suite;    // conformance, crash, concurrency, crash-concurrency
  std::string harness;  // store, chunk, clients, ...
  // assertion, deadlock, livelock, misuse, linearizability, crash-consistency, nondeterminism,
  // or model (what the component did is not what its model allows)
  std::string kind;
  std::string violation;  // one sentence
  uint64_t campaign_seed = 0;
  uint64_t sequence = 0;  // the index of the failing sequence (or block) in its stream
  uint64_t seed = 0;      // its own seed (concurrency: the program's seed)
  Shard shard;
  std::string bug;  // the seeded bug that was on, or empty
  BuildInfo build;
  std::string replay;              // the command that reproduces it
  // ss1:... (ops and power cuts), sched1:... (a schedule), or sx1:... (ops, schedule and crash
  // plan together: crash-concurrency)
  std::string token;
  std::string strategy;            // concurrency, crash-concurrency: the strategy that found it
  std::vector<std::string> steps;  // the minimized case, one readable step each
  uint64_t found_length = 0;       // ops (or scheduling steps) when found
  uint64_t minimized_length = 0;   // and after minimization
  std::string length_unit = "ops";
  std::string gtest;  // a test for tests/regress/, when one can be written
  std::string shape;  // the minimized case's shape: op kinds ("Put.Reclaim.Get")
  std::string signature;
  std::map<std::string, std::string> swarm;  // the op and fault subset in force, if any
  // What the shard had run when it found it (its own sequences, over its harnesses), and the
  // search's seconds (minimizing excluded): the figures behind "time to find".
  uint64_t found_after_sequences = 0;
  double found_after_seconds = 0;
  // For reports (each absent from the JSON when unset; records without them stay readable):
  // the index in `steps` of the step that failed (steps.size(): the end-of-sequence checks),
  int64_t failed_step = -1;
  // per step what it read back, [engine, model] (conformance, crash),
  nlohmann::json step_results;
  // the last power cut: the step, the pages pending then and what each kept (crash; for
  // crash-concurrency the scheduling point "schedule_step" and the crasher's fiber instead of
  // "step"),
  nlohmann::json power_cut;
  // the minimized schedule replayed point by point (schedule_trace.h's TraceJson), and the
  // history its clients recorded (concurrency, crash-concurrency),
  nlohmann::json timeline;
  nlohmann::json history;
  // the case's size when found and minimized: ops, preemptions, steps, crash_step, kept_pages,
  // pending_pages (crash-concurrency).
  nlohmann::json sizes;
};

// Lower-cased, numbers and quoted text replaced, so one bug found with other keys, sizes and
// extents reads the same.
std::string NormalizeViolation(std::string_view violation);
// A stable hex digest of (suite, harness, normalized violation, shape).
std::string FindingSignature(const FindingRecord& finding);

nlohmann::json ToJson(const FindingRecord& finding);
// InvalidArgument naming the missing or mistyped field.
StatusOr<FindingRecord> FindingFromJson(const nlohmann::json& json);

// Per harness, what a shard ran.
struct HarnessTotals {
  uint64_t sequences = 0;  // conformance and crash: op sequences; concurrency: schedules
  uint64_t ops = 0;
  uint64_t crash_states = 0;
  uint64_t steps = 0;  // concurrency: scheduling points
  uint64_t findings = 0;
  uint64_t repeats = 0;  // --keep-going: failures like one already found here, not minimized
  uint64_t determinism_checks = 0;
  double seconds = 0;
  void Add(const HarnessTotals& other);
};

struct SummaryRecord {
  std::string suite;
  Shard shard;
  uint64_t campaign_seed = 0;
  std::string bug;
  BuildInfo build;
  uint64_t iterations = 0;         // per harness, over every shard; 0: no limit
  double time_budget_seconds = 0;  // 0: none
  std::string stopped_by;          // "iterations", "time-budget", "finding"
  double seconds = 0;
  std::map<std::string, HarnessTotals> harnesses;
  std::map<std::string, uint64_t> op_coverage;    // op kind -> times run
  std::map<std::string, uint64_t> path_coverage;  // engine coverage point -> hits
  uint64_t findings = 0;
  std::map<std::string, std::string> swarm;
};
nlohmann::json ToJson(const SummaryRecord& summary);
StatusOr<SummaryRecord> SummaryFromJson(const nlohmann::json& json);

// The file a shard writes in DIR.
std::string ResultsFileName(std::string_view suite, const Shard& shard);

// Writes one shard's results file: a start record when opened, each finding at once (flushed,
// so a shard killed later keeps what it found), the summary on Close.
class ResultsWriter {
 public:
  // Creates `dir` if needed; an IOError saying why when the file cannot be written.
  static StatusOr<ResultsWriter> Open(const std::string& dir, std::string_view suite,
                                      const Shard& shard, uint64_t campaign_seed);
  ResultsWriter(ResultsWriter&& other) noexcept;
  ResultsWriter& operator=(ResultsWriter&&) = delete;
  ~ResultsWriter();
  Status Write(const FindingRecord& finding);
  Status Close(const SummaryRecord& summary);
  const std::string& path() const { return path_; }

 private:
  ResultsWriter(std::string path, std::FILE* file) : path_(std::move(path)), file_(file) {}
  Status WriteLine(const nlohmann::json& record);
  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace shardstore::checker
