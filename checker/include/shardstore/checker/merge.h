// Merge: many shards' results files into one campaign report.
//
// Reads results files (results.h) — given one by one or as folders of *.jsonl — and adds them
// up: totals per suite and harness, the union of coverage (engine paths no shard reached are the
// blind spots, listed first), and the findings deduplicated by signature, keeping per signature
// the shortest minimized case, the first seed (lowest sequence index), and how many shards hit
// it. Bad input is named, never a crash: a file that is empty, not JSON lines, not a results
// file, of a schema this build does not read, or truncated (no summary: the shard did not
// finish) is an error; shards of different commits are an error unless allowed, then a warning;
// a shard given twice is counted once, with a warning; missing shards of a campaign are warned.
//
// Thread-safety: values.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "shardstore/checker/results.h"

namespace shardstore::checker {

struct MergedFinding {
  FindingRecord best;  // the shortest minimized case (then the first sequence)
  uint64_t first_sequence = 0;
  uint64_t first_seed = 0;
  uint64_t shards = 0;  // distinct shards that found it
  uint64_t hits = 0;    // records
};

struct MergedTotals {
  HarnessTotals totals;
  uint64_t shards = 0;
};

struct MergeReport {
  std::vector<std::string> errors;    // bad input: the merge is not to be trusted
  std::vector<std::string> warnings;  // worth knowing, the merge still holds
  uint64_t files = 0;
  std::map<std::string, std::map<std::string, MergedTotals>> totals;  // suite -> harness
  std::map<std::string, uint64_t> op_coverage;
  std::map<std::string, uint64_t> path_coverage;
  std::vector<MergedFinding> findings;  // by suite, harness, signature
  std::vector<std::string> commits;
  double seconds = 0;  // summed over shards
  bool ok() const { return errors.empty(); }
};

struct MergeOptions {
  bool allow_mixed_commits = false;
};

// `paths`: files or folders (their *.jsonl files, not recursing).
MergeReport MergeResults(const std::vector<std::string>& paths, const MergeOptions& options = {});

std::string DescribeMerge(const MergeReport& report);
nlohmann::json MergeJson(const MergeReport& report);

}  // namespace shardstore::checker
