// Finding records (results.h) of the suites that run under the deterministic scheduler: the
// store's concurrency harnesses (a FoundFailure of concurrency_check.h) and the crash-concurrency
// harnesses (a JointFinding of crash_concurrency_check.h). Whichever path found the failure — a
// sharded campaign, a systematic search, a replay — the record is the same, so `--json`,
// `--results`, `--report`, `--junit` and `merge` treat it alike.
//
// Besides the replay command and token, each record carries what a report draws: the minimized
// schedule replayed point by point (a timeline, one lane per fiber) and the history its clients
// recorded; a crash-concurrency record also the power cut — the scheduling point where the
// crasher ran, the pages pending then and what the crash plan kept of each — and the case's size
// when found and minimized. Building one replays the minimized case once more (with its seeded
// bug on).
//
// Thread-safety: one at a time (seeded bugs are process-wide).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "shardstore/checker/concurrency_check.h"
#include "shardstore/checker/crash_concurrency_check.h"
#include "shardstore/checker/results.h"
#include "shardstore/checker/store_concurrency.h"

namespace shardstore::checker {

// `base` holds who found it: suite, harness, campaign seed, sequence, shard, bug, build.
// `program_seed`: the seed StoreConcurrencyBody drew the program from (the record's `seed`).
FindingRecord ConcurrencyFinding(FindingRecord base, StoreWorkload workload, uint64_t program_seed,
                                 const FoundFailure& found);

// `base` as above; the record's token is the minimized case's (the found one's when the found
// case did not fail again).
FindingRecord CrashConcurrencyFinding(FindingRecord base, const JointFinding& found);

// A joint case's size as the records and `--json` carry it.
nlohmann::json JointSizeJson(const JointSize& size);

// A test for tests/regress/ that replays the case and expects it to pass (once fixed).
std::string JointGTest(const JointCase& c, const Failure& failure, uint64_t seed);

}  // namespace shardstore::checker
