// The replay of crash-concurrency tokens (sx1:...) as `shardcheck replay` runs it: the case
// rerun with its seeded bug on, a report (readable text and one JSON object) and an exit code,
// and the program of a case as steps a person reads. The search itself is a campaign suite
// (campaign.h, Suite::kCrashConcurrency); its findings are built by concurrency_finding.h.
//
//   shardcheck replay sx1:...
//
// Exit status: 0 no violation, 1 a violation, 2 a token that does not parse or needs a seeded
// bug this build lacks.
//
// Thread-safety: one at a time (seeded bugs are process-wide).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "shardstore/checker/crash_concurrency.h"
#include "shardstore/checker/run_output.h"
#include "shardstore/checker/suite_output.h"
#include "shardstore/sim/seeded_bug.h"

namespace shardstore::checker {

// `files`: with a violation, the finding record (concurrency_finding.h) drawn as the HTML report
// and the JUnit XML; without one, a page and a test case that say it passed.
SuiteOutput ReplayCrashConcurrency(std::string_view token, bool as_json,
                                   const RunFiles& files = {});

// A case's program as steps a person reads, a line per thread: "  thread 0: Put(a, 4000 bytes)
// Get(b)".
std::string DescribeJointProgram(const JointCase& c);

}  // namespace shardstore::checker
