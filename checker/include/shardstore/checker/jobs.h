// Jobs: one machine's cores as a campaign's shards — N shard processes of shardcheck itself.
//
// RunJobs starts `jobs` copies of the executable, shard I of N each (`--shard I/N --results
// DIR` appended to the suite's arguments), each writing its results file and a log
// (DIR/<suite>-shard-I-of-N.log) into DIR; then the caller merges DIR. While they run, one
// progress line on a terminal: sequences done, rate, ETA, findings so far (read from the
// children's progress files and results files; the clock only drives the display).
//
// Thread-safety: one RunJobs at a time per process.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace shardstore::checker {

// The variable a child writes its progress to (a count of sequences, rewritten in place).
inline constexpr const char* kProgressFileVariable = "SHARDCHECK_PROGRESS_FILE";

struct JobsOptions {
  std::string executable;
  std::vector<std::string> arguments;  // the suite and its flags, without --shard and --results
  std::string suite;
  uint32_t jobs = 1;
  std::string results_dir;
  bool progress = false;  // draw the progress line on stderr
  uint64_t expected = 0;  // sequences over every shard, for the ETA; 0: unknown
  double time_budget_seconds = 0;
};

struct JobsResult {
  std::vector<int> exit_codes;  // per shard: 0, 1, 2, or 128 + signal
  std::string error;            // a child could not be started
};

JobsResult RunJobs(const JobsOptions& options);

// Writes `done` to the progress file the parent named, if any; throttled to a few writes a
// second. Called by a child.
void ReportProgress(uint64_t done, bool final = false);

// The number of cores this process may use.
uint32_t AvailableCores();

}  // namespace shardstore::checker
