// SuiteOutput: what a suite run by `shardcheck` returns for the tool to print — its exit code,
// the readable report, and (with --json) one JSON object.
//
// Thread-safety: a plain value.
#pragma once

#include <string>

namespace shardstore::checker {

struct SuiteOutput {
  int exit_code = 0;  // 0 no violation, 1 a violation, 2 bad usage
  std::string human;  // the readable report
  std::string json;   // one JSON object (with as_json), else empty
};

}  // namespace shardstore::checker
