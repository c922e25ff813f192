// JUnit XML: a checker run in the format CI servers display natively (Jenkins, GitLab, GitHub
// test reporters): <testsuites>, a <testsuite> per checker suite, a <testcase> per harness, and
// for a harness with findings one <failure> whose message is the violation and whose text holds
// every finding's violation, replay command and GoogleTest to paste.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "shardstore/checker/merge.h"
#include "shardstore/checker/results.h"

namespace shardstore::checker {

// One shard's run: its summary and what it found.
std::string JUnitXml(const SummaryRecord& summary, const std::vector<FindingRecord>& findings);
// A merged campaign: a testsuite per suite it holds; bad input is an <error> of its own.
std::string JUnitXml(const MergeReport& merge);

}  // namespace shardstore::checker
