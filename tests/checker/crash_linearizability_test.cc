// The linearizability checker with power cuts in the history (docs/crash-concurrency.md): what a
// crash may take back, what it may not, and what it leaves for the reads after it.
#include <gtest/gtest.h>

#include <string>

#include "shardstore/checker/history.h"
#include "shardstore/checker/linearizability.h"

namespace shardstore::checker {
namespace {

LinearizabilityReport Check(const std::string& json_lines) {
  StatusOr<History> history = ParseHistory(json_lines);
  EXPECT_TRUE(history.ok()) << history.status().ToString();
  return CheckLinearizability(history.ok() ? *history : History{}, LinearizabilityModel::kKv);
}

// A write acknowledged but not persistent, then a crash, then a read of `seen`.
std::string AcknowledgedThenCrash(bool persistent, const char* seen) {
  return std::string(R"(
{"process":0,"type":"invoke","f":"write","key":"x","value":1}
{"process":0,"type":"ok","f":"write","key":"x","value":1}
{"process":0,"type":"invoke","f":"write","key":"x","value":2}
{"process":0,"type":"ok","f":"write","key":"x","value":2)") +
         (persistent ? R"(,"persistent":true)" : "") + R"(}
{"type":"crash"}
{"process":0,"type":"invoke","f":"read","key":"x","value":null}
{"process":0,"type":"ok","f":"read","key":"x","value":)" +
         seen + "}\n";
}

TEST(CrashLinearizabilityTest, ACrashMayLoseWhatWasNotPersistent) {
  for (const char* seen : {"null", "1", "2"}) {
    EXPECT_TRUE(Check(AcknowledgedThenCrash(false, seen)).linearizable) << seen;
  }
}

TEST(CrashLinearizabilityTest, ACrashNeverLosesWhatWasPersistent) {
  EXPECT_TRUE(Check(AcknowledgedThenCrash(true, "2")).linearizable);
  for (const char* seen : {"null", "1"}) {
    const LinearizabilityReport report = Check(AcknowledgedThenCrash(true, seen));
    ASSERT_FALSE(report.linearizable) << seen;
    EXPECT_EQ(report.key, "x");
    // The minimal sub-history keeps the crash and the persistent write.
    EXPECT_NE(FormatHistory(report.minimal).find("crash"), std::string::npos);
    EXPECT_NE(FormatHistory(report.minimal).find("persistent"), std::string::npos);
  }
}

// A persistent write followed by one that is not: the crash leaves either.
TEST(CrashLinearizabilityTest, WritesAfterThePersistentOneMaySurviveOrNot) {
  const std::string prefix = R"(
{"process":0,"type":"invoke","f":"write","key":"x","value":1}
{"process":0,"type":"ok","f":"write","key":"x","value":1,"persistent":true}
{"process":0,"type":"invoke","f":"write","key":"x","value":2}
{"process":0,"type":"ok","f":"write","key":"x","value":2}
{"type":"crash"}
{"process":0,"type":"invoke","f":"read","key":"x","value":null}
{"process":0,"type":"ok","f":"read","key":"x","value":)";
  EXPECT_TRUE(Check(prefix + "1}\n").linearizable);
  EXPECT_TRUE(Check(prefix + "2}\n").linearizable);
  EXPECT_FALSE(Check(prefix + "null}\n").linearizable);
}

// An operation in flight at the crash (never completed) took effect before it, or never; not
// after it.
TEST(CrashLinearizabilityTest, AnOperationTheCrashEndedTookEffectBeforeItOrNever) {
  const std::string prefix = R"(
{"process":0,"type":"invoke","f":"write","key":"x","value":1}
{"process":0,"type":"ok","f":"write","key":"x","value":1,"persistent":true}
{"process":1,"type":"invoke","f":"write","key":"x","value":2}
{"type":"crash"}
{"process":1,"type":"invoke","f":"read","key":"x","value":null}
{"process":1,"type":"ok","f":"read","key":"x","value":)";
  EXPECT_TRUE(Check(prefix + "1}\n").linearizable);
  EXPECT_TRUE(Check(prefix + "2}\n").linearizable);
  // Read 1 after the crash, then 2: the ended write would have taken effect after the crash.
  const LinearizabilityReport late = Check(prefix + R"(1}
{"process":1,"type":"invoke","f":"read","key":"x","value":null}
{"process":1,"type":"ok","f":"read","key":"x","value":2}
)");
  EXPECT_FALSE(late.linearizable);
}

// Reads before the crash see what was acknowledged; the crash then picks among the survivors,
// and reads after it agree with that one choice.
TEST(CrashLinearizabilityTest, TheCrashLeavesOneValueForEveryLaterRead) {
  const std::string prefix = R"(
{"process":0,"type":"invoke","f":"write","key":"x","value":1}
{"process":0,"type":"ok","f":"write","key":"x","value":1}
{"process":0,"type":"invoke","f":"read","key":"x","value":null}
{"process":0,"type":"ok","f":"read","key":"x","value":1}
{"type":"crash"}
{"process":0,"type":"invoke","f":"read","key":"x","value":null}
{"process":0,"type":"ok","f":"read","key":"x","value":null}
{"process":1,"type":"invoke","f":"read","key":"x","value":null}
{"process":1,"type":"ok","f":"read","key":"x","value":)";
  EXPECT_TRUE(Check(prefix + "null}\n").linearizable);
  EXPECT_FALSE(Check(prefix + "1}\n").linearizable);
}

// After the crash its value is durable: a second crash cannot bring back what the first lost.
TEST(CrashLinearizabilityTest, WhatACrashLostStaysLost) {
  const LinearizabilityReport report = Check(R"(
{"process":0,"type":"invoke","f":"write","key":"x","value":1}
{"process":0,"type":"ok","f":"write","key":"x","value":1}
{"type":"crash"}
{"process":0,"type":"invoke","f":"read","key":"x","value":null}
{"process":0,"type":"ok","f":"read","key":"x","value":null}
{"type":"crash"}
{"process":0,"type":"invoke","f":"read","key":"x","value":null}
{"process":0,"type":"ok","f":"read","key":"x","value":1}
)");
  EXPECT_FALSE(report.linearizable);
}

// Keys are independent: each crash leaves each key one of its own survivors.
TEST(CrashLinearizabilityTest, KeysKeepOrLoseTheirWritesIndependently) {
  const LinearizabilityReport report = Check(R"(
{"process":0,"type":"invoke","f":"write","key":"x","value":1}
{"process":0,"type":"ok","f":"write","key":"x","value":1}
{"process":0,"type":"invoke","f":"write","key":"y","value":1}
{"process":0,"type":"ok","f":"write","key":"y","value":1}
{"type":"crash"}
{"process":0,"type":"invoke","f":"read","key":"x","value":null}
{"process":0,"type":"ok","f":"read","key":"x","value":null}
{"process":0,"type":"invoke","f":"exists","key":"y","value":null}
{"process":0,"type":"ok","f":"exists","key":"y","value":true}
)");
  EXPECT_TRUE(report.linearizable);
}

TEST(CrashLinearizabilityTest, TheJsonFormRoundTrips) {
  const std::string text = AcknowledgedThenCrash(true, "2");
  StatusOr<History> history = ParseHistory(text);
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  StatusOr<History> again = ParseHistory(FormatHistory(*history));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*history, *again);
  EXPECT_EQ((*history)[4].type, EventType::kCrash);
  EXPECT_TRUE((*history)[3].persistent);
  // A process may invoke again after a crash ended its open operation.
  EXPECT_TRUE(ParseHistory(R"({"process":0,"type":"invoke","f":"write","key":"x","value":1}
{"type":"crash"}
{"process":0,"type":"invoke","f":"write","key":"x","value":2}
)")
                  .ok());
  // Only an ok write is persistent.
  EXPECT_FALSE(ParseHistory(R"({"process":0,"type":"invoke","f":"read","key":"x","value":1}
{"process":0,"type":"ok","f":"read","key":"x","value":1,"persistent":true}
)")
                   .ok());
}

TEST(CrashLinearizabilityTest, TheRecorderMarksPersistenceAndCrashes) {
  HistoryRecorder recorder;
  const size_t write = recorder.Invoke(0, OpFunction::kWrite, "x", "1");
  recorder.Complete(write, EventType::kOk);
  recorder.MarkPersistent(write);
  recorder.Invoke(1, OpFunction::kWrite, "x", "2");  // ended by the crash
  recorder.Crash();
  const size_t read = recorder.Invoke(1, OpFunction::kRead, "x");
  recorder.Complete(read, EventType::kOk, "2");
  EXPECT_TRUE(recorder.history()[1].persistent);
  EXPECT_TRUE(CheckLinearizability(recorder.history(), LinearizabilityModel::kKv).linearizable);
}

}  // namespace
}  // namespace shardstore::checker
