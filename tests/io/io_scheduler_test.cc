#include "io/io_scheduler.h"

#include <gtest/gtest.h>

#include <memory>

#include "shardstore/limits.h"
#include "shardstore/sim/mem_disk.h"

namespace shardstore {
namespace {

using Kind = MemDisk::Event::Kind;

PageBytes Pages(size_t count, uint8_t fill) { return PageBytes(count * kPageBytes, fill); }

// Writes each commit to its own page of extent 0, so tests can tell commits apart.
class PageCommitSource : public CommitSource {
 public:
  PageWrite ProduceCommit() override {
    ++produced;
    return PageWrite{0, (produced - 1) * kPageBytes, Pages(1, static_cast<uint8_t>(produced))};
  }
  void CommitSettled(bool ok) override { (ok ? durable : failed)++; }
  uint32_t produced = 0;
  uint32_t durable = 0;
  uint32_t failed = 0;
};

class IoSchedulerTest : public ::testing::Test {
 protected:
  IoSchedulerTest() : disk_({8, 64 * kPageBytes}) {
    disk_.RecordEvents(true);
    scheduler_ = std::make_unique<IoScheduler>(&disk_, &mu_);
    scheduler_->SetCommitSource(&commits_);
  }
  Dependency Write(uint32_t extent, uint32_t offset, size_t pages, Dependency after = {}) {
    sync::LockGuard lock(mu_);
    return scheduler_->Write(extent, offset, Pages(pages, 0xab), std::move(after));
  }
  Dependency Commit(Dependency after) {
    sync::LockGuard lock(mu_);
    return scheduler_->RequestCommit(std::move(after));
  }
  Status DriveAll() {
    sync::LockGuard lock(mu_);
    return scheduler_->DriveAll();
  }
  std::vector<MemDisk::Event> Writes() const {
    std::vector<MemDisk::Event> writes;
    for (const auto& e : disk_.Events()) {
      if (e.kind == Kind::kWrite) writes.push_back(e);
    }
    return writes;
  }

  MemDisk disk_;
  sync::Mutex mu_;
  PageCommitSource commits_;
  std::unique_ptr<IoScheduler> scheduler_;
};

TEST_F(IoSchedulerTest, NothingIsIssuedUntilDriven) {
  Dependency d = Write(1, 0, 1);
  EXPECT_FALSE(d.IsPersistent());
  EXPECT_TRUE(disk_.Events().empty());
  ASSERT_TRUE(d.Wait().ok());
  EXPECT_TRUE(d.IsPersistent());
}

TEST_F(IoSchedulerTest, AdjacentAppendsCoalesceIntoOneIo) {
  Dependency a = Write(1, 0, 1);
  Dependency b = Write(1, kPageBytes, 2);
  Dependency c = Write(1, 3 * kPageBytes, 1);
  Dependency other = Write(2, 0, 1);
  ASSERT_TRUE(DriveAll().ok());
  const auto writes = Writes();
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[0].extent, 1u);
  EXPECT_EQ(writes[0].bytes, 4 * kPageBytes);
  EXPECT_EQ(writes[1].extent, 2u);
  EXPECT_TRUE(a.And(b).And(c).And(other).IsPersistent());
  EXPECT_EQ(disk_.stats().flushes, 1u);
}

TEST_F(IoSchedulerTest, NonAdjacentWritesAreSeparateIos) {
  Write(1, 0, 1);
  Write(1, 2 * kPageBytes, 1);
  ASSERT_TRUE(DriveAll().ok());
  EXPECT_EQ(Writes().size(), 2u);
}

TEST_F(IoSchedulerTest, DependentWriteWaitsForAFlush) {
  Dependency a = Write(1, 0, 1);
  Dependency b = Write(2, 0, 1, a);
  ASSERT_TRUE(b.Wait().ok());
  const auto events = disk_.Events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].kind, Kind::kWrite);
  EXPECT_EQ(events[0].extent, 1u);
  EXPECT_EQ(events[1].kind, Kind::kFlush);
  EXPECT_EQ(events[2].kind, Kind::kWrite);
  EXPECT_EQ(events[2].extent, 2u);
  EXPECT_EQ(events[3].kind, Kind::kFlush);
}

TEST_F(IoSchedulerTest, ExtentsAreWrittenFrontToBack) {
  // The second append on extent 1 has no input of its own but must follow the first.
  Dependency slow_input = Write(2, 0, 1);
  Dependency first = Write(1, 0, 1, slow_input);
  Dependency second = Write(1, kPageBytes, 1);
  ASSERT_TRUE(second.Wait().ok());
  EXPECT_TRUE(first.IsPersistent());
  const auto writes = Writes();
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[1].extent, 1u);
  EXPECT_EQ(writes[1].offset, 0u);
  EXPECT_EQ(writes[1].bytes, 2 * kPageBytes);
}

TEST_F(IoSchedulerTest, GroupCommitSharesOneSuperblockWrite) {
  Dependency all;
  for (uint32_t i = 0; i < 5; ++i) {
    Dependency d = Write(1 + i % 2, (i / 2) * kPageBytes, 1);
    all = all.And(d).And(Commit(d));
  }
  ASSERT_TRUE(all.Wait().ok());
  EXPECT_EQ(commits_.produced, 1u);
  EXPECT_EQ(commits_.durable, 1u);
  // data writes, flush, commit write, flush
  const auto events = disk_.Events();
  ASSERT_EQ(events.back().kind, Kind::kFlush);
  ASSERT_EQ(events[events.size() - 2].extent, 0u);
  EXPECT_EQ(disk_.stats().flushes, 2u);
}

TEST_F(IoSchedulerTest, CommitsNeverOverlap) {
  Dependency c1 = Commit(Write(1, 0, 1));
  {
    // Issue the first commit without flushing it: drive data only, then request a second.
    sync::LockGuard lock(mu_);
    ASSERT_TRUE(scheduler_->DriveAll().ok());
  }
  Dependency c2 = Commit(Write(1, kPageBytes, 1));
  ASSERT_TRUE(c2.Wait().ok());
  EXPECT_TRUE(c1.IsPersistent());
  EXPECT_EQ(commits_.produced, 2u);
  // Between the two commit writes there is a flush.
  const auto events = disk_.Events();
  int commit_writes_seen = 0;
  bool flushed_between = false;
  for (const auto& e : events) {
    if (e.kind == Kind::kWrite && e.extent == 0) ++commit_writes_seen;
    if (e.kind == Kind::kFlush && commit_writes_seen == 1) flushed_between = true;
  }
  EXPECT_EQ(commit_writes_seen, 2);
  EXPECT_TRUE(flushed_between);
}

TEST_F(IoSchedulerTest, FailedWritePoisonsItsExtentOnly) {
  disk_.FailNext(1, IoKind::kWrite);
  Dependency a = Write(1, 0, 1);
  Dependency dependent = Write(2, 0, 1, a);
  Dependency unrelated = Write(3, 0, 1);
  ASSERT_TRUE(DriveAll().ok());
  EXPECT_TRUE(a.Failed());
  EXPECT_TRUE(a.Wait().IsIOError());
  EXPECT_TRUE(dependent.Failed());
  EXPECT_TRUE(unrelated.IsPersistent());
  Dependency later = Write(1, kPageBytes, 1);
  EXPECT_TRUE(later.Failed());
  {
    sync::LockGuard lock(mu_);
    EXPECT_TRUE(scheduler_->Poisoned(1));
    EXPECT_EQ(scheduler_->DurableFrontier(1), 0u);
    EXPECT_EQ(scheduler_->DurableFrontier(3), kPageBytes);
    scheduler_->ResetExtent(1);
    EXPECT_FALSE(scheduler_->Poisoned(1));
  }
  EXPECT_TRUE(Write(1, 0, 1).Wait().ok());
}

TEST_F(IoSchedulerTest, FailureMidQueueFailsTheRestOfTheExtent) {
  Dependency gate = Write(2, 0, 1);
  Dependency a = Write(1, 0, 1);
  Dependency b = Write(1, kPageBytes, 1, gate);  // separate IO from a
  Dependency c = Write(1, 2 * kPageBytes, 1);
  disk_.FailNext(1, IoKind::kWrite, /*skip=*/1);
  ASSERT_TRUE(DriveAll().ok());
  EXPECT_TRUE(a.IsPersistent());
  EXPECT_TRUE(b.Failed());
  EXPECT_TRUE(c.Failed());
  sync::LockGuard lock(mu_);
  EXPECT_EQ(scheduler_->DurableFrontier(1), kPageBytes);
}

TEST_F(IoSchedulerTest, QueuedWritesAreOverlaidOnReads) {
  Write(1, 0, 2);                   // pages 0-1 of 0xab
  Write(1, 2 * kPageBytes, 1);      // page 2 of 0xab
  Bytes out(4 * kPageBytes, 0x11);  // as read from the disk
  sync::LockGuard lock(mu_);
  EXPECT_FALSE(scheduler_->OverlayQueued(1, 0, out));  // page 3 is not queued
  EXPECT_EQ(out[0], 0xab);
  EXPECT_EQ(out[3 * kPageBytes - 1], 0xab);
  EXPECT_EQ(out[3 * kPageBytes], 0x11);  // left as the disk had it
  Bytes two(2 * kPageBytes);
  EXPECT_TRUE(scheduler_->OverlayQueued(1, kPageBytes, two));  // spans two queued writes
  EXPECT_FALSE(scheduler_->OverlayQueued(2, 0, two));
}

TEST_F(IoSchedulerTest, WaitAfterCloseFails) {
  Dependency d = Write(1, 0, 1);
  scheduler_.reset();
  EXPECT_TRUE(d.Failed());
  EXPECT_TRUE(d.Wait().IsIOError());
}

TEST(DependencyTest, EmptyIsPersistentAndAndIsConjunction) {
  Dependency empty;
  EXPECT_TRUE(empty.IsPersistent());
  EXPECT_TRUE(empty.Wait().ok());
  MemDisk disk({4, 16 * kPageBytes});
  sync::Mutex mu;
  IoScheduler scheduler(&disk, &mu);
  Dependency a, b;
  {
    sync::LockGuard lock(mu);
    a = scheduler.Write(1, 0, Pages(1, 1), {});
    b = scheduler.Write(2, 0, Pages(1, 1), a);
  }
  const Dependency both = a.And(b).And(a);
  EXPECT_EQ(both.PendingCount(), 2u);
  ASSERT_TRUE(a.Wait().ok());
  EXPECT_FALSE(both.IsPersistent());
  ASSERT_TRUE(both.Wait().ok());
  EXPECT_TRUE(both.IsPersistent());
  EXPECT_EQ(both.And(empty).PendingCount(), 0u);
}

}  // namespace
}  // namespace shardstore
