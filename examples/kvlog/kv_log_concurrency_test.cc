// KvLog under shardstore's deterministic scheduler: clients on fibers call Put and Get on one
// log, every interleaving the strategies choose is run, and each run's history is checked for
// linearizability against a register per key. A failure prints a schedule that replays it bit
// for bit, minimized.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "kv_log.h"
#include "shardstore/checker/concurrency_check.h"
#include "shardstore/checker/failure.h"
#include "shardstore/checker/history.h"
#include "shardstore/checker/linearizability.h"
#include "shardstore/sim/mem_disk.h"
#include "shardstore/sync.h"

namespace kvlog {
namespace {

using shardstore::checker::EventType;
using shardstore::checker::HistoryRecorder;
using shardstore::checker::OpFunction;

// One schedule: two clients each overwrite key "a" and read it back; a third reads "a" and
// writes "b". Throws a Violation (a failure the scheduler reports) when the history is not
// linearizable.
void TwoWritersOneReader() {
  shardstore::MemDisk disk({8, 64 << 10});
  std::unique_ptr<KvLog> log = std::move(KvLog::Open(&disk)).value();
  HistoryRecorder history;
  auto put = [&](uint32_t client, const std::string& key, const std::string& value) {
    const size_t op = history.Invoke(client, OpFunction::kWrite, key, value);
    const bool ok = log->Put(key, value).ok();
    history.Complete(op, ok ? EventType::kOk : EventType::kFail);
  };
  auto get = [&](uint32_t client, const std::string& key) {
    const size_t op = history.Invoke(client, OpFunction::kRead, key);
    history.Complete(op, EventType::kOk, log->Get(key));
  };
  shardstore::sync::Thread first([&] {
    put(0, "a", "1");
    get(0, "a");
  });
  shardstore::sync::Thread second([&] {
    put(1, "a", "2");
    get(1, "a");
  });
  get(2, "a");
  put(2, "b", "3");
  first.Join();
  second.Join();
  const auto report = shardstore::checker::CheckLinearizability(
      history.history(), shardstore::checker::LinearizabilityModel::kKv);
  if (!report.linearizable) {
    throw shardstore::checker::Violation(shardstore::checker::FailureKind::kLinearizability,
                                         "not linearizable on key " + report.key + ":\n" +
                                             shardstore::checker::FormatHistory(report.minimal));
  }
}

TEST(KvLogConcurrencyTest, ClientsAreLinearizable) {
  const auto report = shardstore::checker::CheckPortfolio(TwoWritersOneReader, 2000, /*seed=*/1);
  EXPECT_TRUE(report.ok()) << report;
}

}  // namespace
}  // namespace kvlog
