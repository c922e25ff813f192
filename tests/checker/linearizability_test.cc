// The linearizability checker on hand-made histories with known answers, the JSON-lines form,
// and histories recorded from clients running under the deterministic scheduler.
#include "shardstore/checker/linearizability.h"

#include <gtest/gtest.h>

#include <string>

#include "shardstore/checker/concurrency_check.h"
#include "shardstore/sync.h"

namespace shardstore::checker {
namespace {

LinearizabilityReport Check(const std::string& json_lines,
                            LinearizabilityModel model = LinearizabilityModel::kKv) {
  StatusOr<History> history = ParseHistory(json_lines);
  EXPECT_TRUE(history.ok()) << history.status().ToString();
  return CheckLinearizability(history.ok() ? *history : History{}, model);
}

TEST(LinearizabilityTest, SequentialHistoryIsLinearizable) {
  const LinearizabilityReport report = Check(R"(
{"process":0,"type":"invoke","f":"write","key":"x","value":1}
{"process":0,"type":"ok","f":"write","key":"x","value":1}
{"process":1,"type":"invoke","f":"read","key":"x","value":null}
{"process":1,"type":"ok","f":"read","key":"x","value":1}
)");
  EXPECT_TRUE(report.linearizable);
  EXPECT_EQ(report.operations, 2u);
}

TEST(LinearizabilityTest, AStaleReadAfterACompletedWriteIsNot) {
  const LinearizabilityReport report = Check(R"(
{"process":2,"type":"invoke","f":"write","key":"y","value":5}
{"process":2,"type":"ok","f":"write","key":"y","value":5}
{"process":0,"type":"invoke","f":"write","key":"x","value":1}
{"process":0,"type":"ok","f":"write","key":"x","value":1}
{"process":1,"type":"invoke","f":"read","key":"x","value":null}
{"process":1,"type":"ok","f":"read","key":"x","value":null}
{"process":1,"type":"invoke","f":"read","key":"y","value":null}
{"process":1,"type":"ok","f":"read","key":"y","value":5}
)");
  ASSERT_FALSE(report.linearizable);
  EXPECT_EQ(report.key, "x");
  EXPECT_EQ(report.minimal.size(), 4u) << FormatHistory(report.minimal);  // the write, the read
}

TEST(LinearizabilityTest, AReadOverlappingAWriteMaySeeEither) {
  for (const char* seen : {"null", "1"}) {
    const LinearizabilityReport report = Check(std::string(R"(
{"process":0,"type":"invoke","f":"write","key":"x","value":1}
{"process":1,"type":"invoke","f":"read","key":"x","value":null}
{"process":1,"type":"ok","f":"read","key":"x","value":)") +
                                               seen + R"(}
{"process":0,"type":"ok","f":"write","key":"x","value":1}
)");
    EXPECT_TRUE(report.linearizable) << seen;
  }
}

TEST(LinearizabilityTest, ReadsMayNotGoBackInTime) {
  // Both reads overlap the write, but once one saw 1 a later one cannot see nothing.
  const LinearizabilityReport report = Check(R"(
{"process":0,"type":"invoke","f":"write","key":"x","value":1}
{"process":1,"type":"invoke","f":"read","key":"x","value":null}
{"process":1,"type":"ok","f":"read","key":"x","value":1}
{"process":2,"type":"invoke","f":"read","key":"x","value":null}
{"process":2,"type":"ok","f":"read","key":"x","value":null}
{"process":0,"type":"ok","f":"write","key":"x","value":1}
)");
  EXPECT_FALSE(report.linearizable);
  EXPECT_EQ(report.minimal.size(), 6u) << FormatHistory(report.minimal);
}

TEST(LinearizabilityTest, TheMinimalSubHistoryIsOneReadOfAValueNeverWritten) {
  const LinearizabilityReport report = Check(R"(
{"process":0,"type":"invoke","f":"write","key":"x","value":1}
{"process":0,"type":"ok","f":"write","key":"x","value":1}
{"process":1,"type":"invoke","f":"read","key":"x","value":null}
{"process":1,"type":"ok","f":"read","key":"x","value":7}
{"process":0,"type":"invoke","f":"write","key":"x","value":2}
{"process":0,"type":"ok","f":"write","key":"x","value":2}
)");
  ASSERT_FALSE(report.linearizable);
  ASSERT_EQ(report.minimal.size(), 2u) << FormatHistory(report.minimal);
  EXPECT_EQ(report.minimal[1].value, "7");
}

TEST(LinearizabilityTest, CasSucceedsOnlyFromItsExpectedValue) {
  const std::string prefix = R"(
{"process":0,"type":"invoke","f":"write","key":"x","value":1}
{"process":0,"type":"ok","f":"write","key":"x","value":1}
{"process":1,"type":"invoke","f":"cas","key":"x","value":[1,2]}
{"process":1,"type":"ok","f":"cas","key":"x","value":[1,2]}
{"process":2,"type":"invoke","f":"cas","key":"x","value":[1,3]}
)";
  EXPECT_FALSE(Check(prefix + R"({"process":2,"type":"ok","f":"cas","key":"x","value":[1,3]})")
                   .linearizable);
  EXPECT_TRUE(Check(prefix + R"({"process":2,"type":"fail","f":"cas","key":"x","value":[1,3]})")
                  .linearizable);
}

TEST(LinearizabilityTest, AnInfoWriteMayTakeEffectLaterOrNever) {
  const std::string prefix = R"(
{"process":0,"type":"invoke","f":"write","key":"x","value":1}
{"process":0,"type":"info","f":"write","key":"x","value":1}
{"process":1,"type":"invoke","f":"read","key":"x","value":null}
)";
  // Never (so far), then later: both fine.
  EXPECT_TRUE(Check(prefix + R"({"process":1,"type":"ok","f":"read","key":"x","value":null}
{"process":1,"type":"invoke","f":"read","key":"x","value":null}
{"process":1,"type":"ok","f":"read","key":"x","value":1})")
                  .linearizable);
  // Once seen, it cannot be unseen.
  EXPECT_FALSE(Check(prefix + R"({"process":1,"type":"ok","f":"read","key":"x","value":1}
{"process":1,"type":"invoke","f":"read","key":"x","value":null}
{"process":1,"type":"ok","f":"read","key":"x","value":null})")
                   .linearizable);
}

// Pending writes take effect only where something observes them: many of them stay cheap, and
// the answers stay right.
TEST(LinearizabilityTest, ManyPendingWritesStayTractable) {
  std::string pending;
  for (int p = 1; p <= 22; ++p) {
    pending += R"({"process":)" + std::to_string(p) +
               R"(,"type":"invoke","f":"write","key":"x","value":)" + std::to_string(p) + "}\n";
  }
  std::string reads;
  for (int p = 1; p <= 22; ++p) {
    reads += R"({"process":0,"type":"invoke","f":"read","key":"x","value":null}
{"process":0,"type":"ok","f":"read","key":"x","value":)" + std::to_string(p) + "}\n";
  }
  // Every pending value seen once, in any order: fine.
  const LinearizabilityReport each = Check(pending + reads);
  EXPECT_TRUE(each.linearizable);
  EXPECT_LT(each.states, 100'000u);
  // The first one seen again: each pending write takes effect at most once.
  const LinearizabilityReport again = Check(pending + reads + R"(
{"process":0,"type":"invoke","f":"read","key":"x","value":null}
{"process":0,"type":"ok","f":"read","key":"x","value":1})");
  EXPECT_EQ(again.verdict, Verdict::kNotLinearizable);
  EXPECT_LT(again.states, 100'000u);
  // A value nobody wrote: refused before any search.
  EXPECT_FALSE(Check(pending + R"(
{"process":0,"type":"invoke","f":"read","key":"x","value":null}
{"process":0,"type":"ok","f":"read","key":"x","value":99})")
                   .linearizable);
  // A pending write observed only through exists.
  EXPECT_TRUE(Check(R"(
{"process":1,"type":"invoke","f":"write","key":"x","value":7}
{"process":0,"type":"invoke","f":"exists","key":"x","value":null}
{"process":0,"type":"ok","f":"exists","key":"x","value":true}
)").linearizable);
}

TEST(LinearizabilityTest, ASpentBudgetIsUnknownNeverAGuess) {
  StatusOr<History> history = ParseHistory(R"(
{"process":0,"type":"invoke","f":"write","key":"x","value":1}
{"process":1,"type":"invoke","f":"write","key":"x","value":2}
{"process":0,"type":"ok","f":"write","key":"x","value":1}
{"process":1,"type":"ok","f":"write","key":"x","value":2}
{"process":2,"type":"invoke","f":"read","key":"x","value":null}
{"process":2,"type":"ok","f":"read","key":"x","value":1}
)");
  ASSERT_TRUE(history.ok());
  LinearizabilityOptions options;
  options.states_max = 2;
  const LinearizabilityReport report =
      CheckLinearizability(*history, LinearizabilityModel::kKv, options);
  EXPECT_EQ(report.verdict, Verdict::kUnknown);
  EXPECT_FALSE(report.linearizable);
  EXPECT_NE(report.unknown_reason.find("state budget"), std::string::npos);
  EXPECT_EQ(CheckLinearizability(*history, LinearizabilityModel::kKv).verdict,
            Verdict::kLinearizable);
}

TEST(LinearizabilityTest, TheRegisterModelIgnoresKeys) {
  const std::string history = R"(
{"process":0,"type":"invoke","f":"write","key":"a","value":1}
{"process":0,"type":"ok","f":"write","key":"a","value":1}
{"process":1,"type":"invoke","f":"read","key":"b","value":null}
{"process":1,"type":"ok","f":"read","key":"b","value":null}
)";
  EXPECT_TRUE(Check(history, LinearizabilityModel::kKv).linearizable);
  EXPECT_FALSE(Check(history, LinearizabilityModel::kRegister).linearizable);
}

TEST(HistoryTest, BadInputNamesTheLine) {
  for (const char* bad : {
           "{\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"value\":1}",  // nothing open
           "not json",
           "{\"process\":-1,\"type\":\"invoke\",\"f\":\"read\"}",
           "{\"process\":0,\"type\":\"invoke\",\"f\":\"append\"}",
           "{\"process\":0,\"type\":\"invoke\",\"f\":\"cas\",\"value\":3}",
           "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n"
           "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}",
       }) {
    const StatusOr<History> history = ParseHistory(bad);
    ASSERT_FALSE(history.ok()) << bad;
    EXPECT_TRUE(history.status().IsInvalidArgument());
    EXPECT_NE(history.status().message().find("line "), std::string::npos);
  }
}

TEST(HistoryTest, FormatsAndParsesBack) {
  HistoryRecorder recorder;
  const size_t w = recorder.Invoke(0, OpFunction::kWrite, "k", "v1");
  const size_t c = recorder.Invoke(1, OpFunction::kCas, "k", "v2", "v1");
  recorder.Complete(w, EventType::kOk);
  recorder.Complete(c, EventType::kInfo);
  const size_t r = recorder.Invoke(2, OpFunction::kRead, "k");
  recorder.Complete(r, EventType::kOk, std::nullopt);
  const StatusOr<History> parsed = ParseHistory(FormatHistory(recorder.history()));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, recorder.history());
}

// Clients of a register under the deterministic scheduler: with the lock, every schedule's
// history is linearizable; a client that reads back its own last write from a local cache is
// not, once another client's write lands in between.
void Clients(bool stale_reads) {
  sync::Mutex mu;
  Value value;
  HistoryRecorder recorder;
  auto client = [&](uint32_t process) {
    for (int i = 0; i < 2; ++i) {
      const std::string v = std::to_string(process * 10 + i);
      const size_t w = recorder.Invoke(process, OpFunction::kWrite, "x", v);
      {
        sync::LockGuard lock(mu);
        value = v;
      }
      recorder.Complete(w, EventType::kOk);
      sync::Yield();  // between requests
      const size_t r = recorder.Invoke(process, OpFunction::kRead, "x");
      Value seen = v;  // the client's own last write
      {
        sync::LockGuard lock(mu);
        if (!stale_reads) seen = value;
      }
      recorder.Complete(r, EventType::kOk, seen);
    }
  };
  sync::Thread a([&] { client(1); }), b([&] { client(2); });
  a.Join();
  b.Join();
  const LinearizabilityReport report =
      CheckLinearizability(recorder.history(), LinearizabilityModel::kKv);
  if (!report.linearizable) {
    throw std::runtime_error("not linearizable:\n" + FormatHistory(report.minimal));
  }
}

TEST(LinearizabilityTest, RecordedUnderTheScheduler) {
  EXPECT_TRUE(CheckRandom([] { Clients(false); }, 300).ok());
  const ConcurrencyReport stale = CheckRandom([] { Clients(true); }, 300);
  ASSERT_FALSE(stale.ok());
  EXPECT_NE(stale.failure->find("not linearizable"), std::string::npos) << stale;
}

}  // namespace
}  // namespace shardstore::checker
