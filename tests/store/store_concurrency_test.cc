// The engine's own concurrency, each protocol on a small program explored by the deterministic
// scheduler (DFS within a preemption bound, so the interleavings are exhaustive there): the read
// budget, reads racing the IO scheduler's drives, concurrent waiters and group commit, a wait
// racing the close, reads racing a reset into the read cache, compaction merging without the
// lock, and index flushes and reclamation without it.
#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "chunkstore/chunk_store.h"
#include "shardstore/checker/concurrency_check.h"
#include "shardstore/sim/coverage.h"
#include "shardstore/sim/mem_disk.h"
#include "shardstore/sim/seeded_bug.h"
#include "shardstore/store.h"
#include "shardstore/sync.h"
#include "store/read_budget.h"
#include "store/store_impl.h"

namespace shardstore {
namespace {

using checker::CheckDfs;
using checker::ConcurrencyReport;

void Require(bool condition, const std::string& what) {
  if (!condition) throw std::runtime_error(what);
}

Bytes Filled(size_t size, uint8_t fill) { return Bytes(size, fill); }

// `key` holds `want`; `when` begins the message ("after a reopen, ").
void RequireValue(Store& store, const std::string& key, const Bytes& want,
                  const std::string& when) {
  StatusOr<Bytes> got = store.Get(key);
  Require(got.ok() && *got == want, when + "get " + key + ": " + got.status().ToString());
}

std::unique_ptr<Store> OpenStore(MemDisk* disk, uint64_t read_buffer_bytes,
                                 uint32_t memtable_entries_max = 4096) {
  StoreOptions options;
  options.disk = disk;
  options.format_if_blank = true;
  options.chunk_payload_bytes_max = 8 * 1024;
  options.read_buffer_bytes = read_buffer_bytes;
  options.memtable_entries_max = memtable_entries_max;
  StatusOr<std::unique_ptr<Store>> store = Store::Open(options);
  Require(store.ok(), "open: " + store.status().ToString());
  return std::move(store).value();
}

constexpr uint64_t kSchedulesMax = 20'000;

// Every schedule of `body` within `bound` preemptions passes, and there are no more than that.
void ExpectCleanWithin(const checker::Body& body, uint32_t bound) {
  const ConcurrencyReport report = CheckDfs(body, bound, kSchedulesMax);
  EXPECT_TRUE(report.ok()) << report;
  EXPECT_TRUE(report.exhausted) << report;
  std::cout << report << "\n";
}

// The same search with `bug` on; nullopt in a build without seeded bugs.
std::optional<ConcurrencyReport> SearchWithBug(const checker::Body& body, uint32_t bound,
                                               seeded::Bug bug) {
  if (!seeded::CompiledIn()) return std::nullopt;
  const seeded::Scope scope(bug);
  return CheckDfs(body, bound, kSchedulesMax);
}

TEST(ReadBudgetTest, WaitersGetRoomAsItIsReleased) {
  const ConcurrencyReport report = CheckDfs(
      [] {
        ReadBudget budget(10);
        int inside = 0;
        auto reader = [&](uint64_t bytes) {
          ReadReservation reservation(&budget);
          reservation.Add(bytes);
          ++inside;
          Require(inside <= 2, "three readers of 4+4+4 bytes inside a budget of 10");
          sync::Yield();
          --inside;
        };
        sync::Thread a([&] { reader(4); }), b([&] { reader(4); }), c([&] { reader(4); });
        a.Join();
        b.Join();
        c.Join();
      },
      2);
  EXPECT_TRUE(report.ok()) << report;
  EXPECT_TRUE(report.exhausted) << report;
}

// Two Gets of two-chunk values (frames of 12 KiB and 4 KiB) with room for two 12 KiB frames:
// each must take its room whole, or both could hold 12 KiB and wait for 4 KiB forever.
void TwoGetsOfTwoChunkValues() {
  MemDisk disk({8, 16 * kPageBytes});
  std::unique_ptr<Store> store = OpenStore(&disk, 24 * 1024);
  Require(store->Put("a", Filled(9000, 1)).ok() && store->Put("b", Filled(9000, 2)).ok(), "put");
  Require(store->Flush().ok(), "flush");
  auto get = [&](const char* key, uint8_t fill) {
    StatusOr<Bytes> got = store->Get(key);
    Require(got.ok() && *got == Filled(9000, fill), std::string("Get(") + key + ")");
  };
  sync::Thread a([&] { get("a", 1); }), b([&] { get("b", 2); });
  a.Join();
  b.Join();
}

TEST(StoreConcurrencyTest, GetsTakeTheirReadBudgetWhole) {
  ExpectCleanWithin(TwoGetsOfTwoChunkValues, 2);
  const auto buggy =
      SearchWithBug(TwoGetsOfTwoChunkValues, 2, seeded::Bug::kGetReservesReadBufferPerPart);
  if (!buggy) return;
  ASSERT_FALSE(buggy->ok()) << "piecewise reservations did not deadlock";
  EXPECT_NE(buggy->failure->find("deadlock"), std::string::npos) << *buggy;
}

// A Put's chunk is still queued when a Get reads it, while its writer drives it to the disk.
void GetWhileThePutIsDriven() {
  MemDisk disk({8, 16 * kPageBytes});
  std::unique_ptr<Store> store = OpenStore(&disk, 32ull << 20);
  StatusOr<Dependency> put = store->Put("k", Filled(5000, 7));
  Require(put.ok(), "put");
  sync::Thread writer([&] { Require(put->Wait().ok(), "wait"); });
  sync::Thread reader([&] {
    StatusOr<Bytes> got = store->Get("k");
    Require(got.ok() && *got == Filled(5000, 7), "Get(k): " + got.status().ToString());
  });
  writer.Join();
  reader.Join();
  Require(store->Shutdown().ok(), "shutdown");
}

TEST(StoreConcurrencyTest, ReadsRaceDrivesSafely) {
  ExpectCleanWithin(GetWhileThePutIsDriven, 1);
  if (const auto buggy =
          SearchWithBug(GetWhileThePutIsDriven, 1, seeded::Bug::kReadOverlaysQueueAfterDiskRead)) {
    EXPECT_FALSE(buggy->ok()) << "reading the disk before the queue went unnoticed";
  }
}

// Two clients wait for their Puts at once: two drivers of one IO scheduler, whose disk flushes
// run without its mutex, one at a time. Both become persistent, and the store closes clean.
void TwoDriversAtOnce() {
  MemDisk disk({8, 16 * kPageBytes});
  std::unique_ptr<Store> store = OpenStore(&disk, 32ull << 20);
  auto durable_put = [&](const char* key, uint8_t fill) {
    StatusOr<Dependency> put = store->Put(key, Filled(5000, fill));
    Require(put.ok() && put->Wait().ok() && put->IsPersistent(), std::string("Put(") + key + ")");
  };
  sync::Thread a([&] { durable_put("a", 1); }), b([&] { durable_put("b", 2); });
  a.Join();
  b.Join();
  Require(store->Shutdown().ok(), "shutdown");
  std::unique_ptr<Store> reopened = OpenStore(&disk, 32ull << 20);
  for (auto [key, fill] : {std::pair{"a", 1}, std::pair{"b", 2}}) {
    StatusOr<Bytes> got = reopened->Get(key);
    Require(got.ok() && *got == Filled(5000, static_cast<uint8_t>(fill)),
            std::string("after reopening, Get(") + key + ")");
  }
}

TEST(StoreConcurrencyTest, DriversShareTheDiskFlushes) { ExpectCleanWithin(TwoDriversAtOnce, 1); }

// Compaction merges without the lock while a Put lands and its memtable is flushed: the run
// flushed meanwhile stays above the merged one.
void CompactWhileFlushing() {
  MemDisk disk({8, 16 * kPageBytes});
  std::unique_ptr<Store> store = OpenStore(&disk, 32ull << 20);
  Require(store->Put("a", Filled(10, 1)).ok() && store->Flush().ok(), "first run");
  Require(store->Put("b", Filled(10, 2)).ok() && store->Flush().ok(), "second run");
  sync::Thread compactor([&] { Require(store->Compact().ok(), "compact"); });
  sync::Thread writer(
      [&] { Require(store->Put("a", Filled(10, 3)).ok() && store->Flush().ok(), "overwrite"); });
  compactor.Join();
  writer.Join();
  StatusOr<Bytes> a = store->Get("a");
  Require(a.ok() && *a == Filled(10, 3), "the overwrite of a was lost");
  Require(store->Verify().ok(), "verify");
}

TEST(StoreConcurrencyTest, CompactionKeepsRunsFlushedWhileItMerged) {
  ExpectCleanWithin(CompactWhileFlushing, 1);
  if (const auto buggy = SearchWithBug(CompactWhileFlushing, 1,
                                       seeded::Bug::kCompactionDropsRunsFlushedMeanwhile)) {
    EXPECT_FALSE(buggy->ok()) << "a run flushed during the merge was dropped unnoticed";
  }
}

// A Put that fills the memtable flushes the index with the store's lock released across the
// IO. Meanwhile a Get finds the value the flushing memtable holds, and a Delete lands in the
// fresh memtable; waiting for the Delete flushes again, after the flush in flight rather than
// over it. Every value is as it should be, before and after a reopen.
void FlushWithoutTheLock() {
  MemDisk disk({8, 16 * kPageBytes});
  {
    std::unique_ptr<Store> store = OpenStore(&disk, 32ull << 20, /*memtable_entries_max=*/2);
    StatusOr<Dependency> first = store->Put("a", Filled(10, 1));
    Require(first.ok() && first->Wait().ok(), "put a");
    sync::Thread flusher([&] {
      StatusOr<Dependency> put = store->Put("b", Filled(10, 2));  // the memtable is full
      Require(put.ok() && put->Wait().ok(), "put b");
    });
    sync::Thread client([&] {
      RequireValue(*store, "a", Filled(10, 1), "");
      StatusOr<Dependency> deleted = store->Delete("a");
      Require(deleted.ok(), "delete a: " + deleted.status().ToString());
      const Status waited = deleted->Wait();
      Require(waited.ok(), "delete a, waited: " + waited.ToString());
      Require(store->Get("a").status().IsNotFound(), "a is back after its delete");
    });
    flusher.Join();
    client.Join();
    RequireValue(*store, "b", Filled(10, 2), "");
    Require(store->Verify().ok(), "verify");
    Require(store->Shutdown().ok(), "shutdown");
  }
  std::unique_ptr<Store> store = OpenStore(&disk, 32ull << 20);
  Require(store->Get("a").status().IsNotFound(), "after a reopen, a is back");
  RequireValue(*store, "b", Filled(10, 2), "after a reopen, ");
}

TEST(StoreConcurrencyTest, IndexFlushesWithoutTheLock) {
  ExpectCleanWithin(FlushWithoutTheLock, 1);
  // Within two preemptions the schedules outnumber the budget: the first kSchedulesMax of them.
  const ConcurrencyReport deeper = CheckDfs(FlushWithoutTheLock, 2, kSchedulesMax);
  EXPECT_TRUE(deeper.ok()) << deeper;
  std::cout << deeper << "\n";
}

// A caller's Reclaim scans its extent with the store's lock released, then flushes the index
// without it too. Meanwhile a client deletes one value the extent holds (the chunk the scan kept
// may be dead by the time reclamation takes the lock again; the delete fills the two-entry
// memtable, whose flush may run during the scan, with the entry of a third value, named nowhere
// else, in the flushing memtable), overwrites another, and reads the third. Every value is as it
// should be, before and after a reopen, and the extent is left with nothing live.
void ReclaimWithoutTheLock() {
  MemDisk disk({12, 16 * kPageBytes});
  uint32_t extent = 0;
  {
    std::unique_ptr<Store> store = OpenStore(&disk, 32ull << 20, /*memtable_entries_max=*/2);
    for (const char* key : {"a", "b", "c"}) {
      StatusOr<Dependency> put = store->Put(key, Filled(10, static_cast<uint8_t>(key[0])));
      Require(put.ok() && put->Wait().ok(), std::string("put ") + key);
    }
    for (const LiveChunk& chunk : StoreInternals(*store).LiveChunks()) {
      if (chunk.key == "a") extent = chunk.locator.extent;
    }
    sync::Thread reclaimer([&] {
      const Status reclaimed = store->Reclaim(extent);
      Require(reclaimed.ok(), "reclaim: " + reclaimed.ToString());
    });
    sync::Thread client([&] {
      StatusOr<Dependency> deleted = store->Delete("a");
      Require(deleted.ok() && deleted->Wait().ok(), "delete a");
      StatusOr<Dependency> put = store->Put("b", Filled(10, 2));
      Require(put.ok() && put->Wait().ok(), "put b");
      RequireValue(*store, "c", Filled(10, 'c'), "");
    });
    reclaimer.Join();
    client.Join();
    Require(store->Get("a").status().IsNotFound(), "a is back after its delete");
    RequireValue(*store, "b", Filled(10, 2), "");
    for (const LiveChunk& chunk : StoreInternals(*store).LiveChunks()) {
      Require(chunk.kind != LiveChunk::Kind::kData || chunk.locator.extent != extent,
              "a live chunk is left in the reclaimed extent");
    }
    Require(store->Verify().ok(), "verify");
    Require(store->Shutdown().ok(), "shutdown");
  }
  std::unique_ptr<Store> store = OpenStore(&disk, 32ull << 20);
  Require(store->Get("a").status().IsNotFound(), "after a reopen, a is back");
  RequireValue(*store, "b", Filled(10, 2), "after a reopen, ");
  RequireValue(*store, "c", Filled(10, 'c'), "after a reopen, ");
}

// Two callers reclaim the same extent: one reclamation runs at a time, so the second finds the
// extent free (or, reclaiming first, the other does), never one half-way through.
void ReclaimersTakeTurns() {
  MemDisk disk({12, 16 * kPageBytes});
  std::unique_ptr<Store> store = OpenStore(&disk, 32ull << 20);
  StatusOr<Dependency> put = store->Put("a", Filled(10, 1));
  Require(put.ok() && put->Wait().ok(), "put a");
  const uint32_t extent = StoreInternals(*store).LiveChunks().front().locator.extent;
  std::vector<Status> results(2);
  sync::Thread first([&] { results[0] = store->Reclaim(extent); });
  sync::Thread second([&] { results[1] = store->Reclaim(extent); });
  first.Join();
  second.Join();
  Require(
      results[0].ok() != results[1].ok(),
      "two reclamations of one extent: " + results[0].ToString() + ", " + results[1].ToString());
  for (const Status& result : results) {
    Require(result.ok() || result.IsInvalidArgument(), "reclaim: " + result.ToString());
  }
  RequireValue(*store, "a", Filled(10, 1), "");
}

TEST(StoreConcurrencyTest, ReclamationScansAndFlushesWithoutTheLock) {
  const auto before = coverage::Snapshot();
  ExpectCleanWithin(ReclaimWithoutTheLock, 1);
  ExpectCleanWithin(ReclaimersTakeTurns, 1);
  const auto reached = coverage::Delta(before, coverage::Snapshot());
  for (const char* point :
       {"reclaim scanned an extent with the store's lock released",
        "a chunk live when reclaim read it was dead once reclaim took the lock again",
        "an index flush ran with the store's lock released",
        "an operation waited for a reclamation's scan in flight"}) {
    if (!reached.contains(point)) continue;  // a build without the engine's coverage points
    EXPECT_GT(reached.at(point), 0u) << "never reached: " << point;
  }
}

std::unique_ptr<ChunkStore> OpenChunkStore(MemDisk* disk) {
  StatusOr<std::unique_ptr<ChunkStore>> opened = ChunkStore::Open({disk, 1, false});
  Require(opened.ok(), "open: " + opened.status().ToString());
  return std::move(opened).value();
}

ChunkStore::Appended AppendChunk(ChunkStore& store, const std::string& key, uint8_t fill) {
  ChunkHeader header;
  header.sequence = store.NextSequence();
  StatusOr<ChunkStore::Appended> appended =
      store.Append(ExtentOwner::kData, header, key, Filled(100, fill), Dependency());
  Require(appended.ok(), "append: " + appended.status().ToString());
  return *appended;
}

// Writers wait for their appends at once. Their waits drive concurrently (none queues on a lock
// behind another's whole drive); a waiter woken by the flush it waited for returns even when the
// next flush is already in flight; a commit whose writes are being issued takes no more
// requests, so a later writer's data goes under its flush and into the next commit; a write
// appended while a flush writes its own joins that flush. Every append becomes persistent, and
// every one is there after a reopen.
void WritersWaitAtOnce(int writers) {
  MemDisk disk({8, 16 * kPageBytes});
  Require(ChunkStore::Format(&disk, 9).ok(), "format");
  std::unique_ptr<ChunkStore> store = OpenChunkStore(&disk);
  std::vector<Locator> locators(static_cast<size_t>(writers));
  std::vector<std::unique_ptr<sync::Thread>> threads;
  for (int i = 0; i < writers; ++i) {
    threads.push_back(std::make_unique<sync::Thread>([&, i] {
      const ChunkStore::Appended appended =
          AppendChunk(*store, "k" + std::to_string(i), static_cast<uint8_t>(i));
      const Status waited = appended.dependency.Wait();
      Require(waited.ok() && appended.dependency.IsPersistent(),
              "append " + std::to_string(i) + ": " + waited.ToString());
      locators[static_cast<size_t>(i)] = appended.locator;
    }));
  }
  for (auto& thread : threads) thread->Join();
  store.reset();
  store = OpenChunkStore(&disk);
  for (int i = 0; i < writers; ++i) {
    StatusOr<ChunkStore::Chunk> got = store->Read(locators[static_cast<size_t>(i)]);
    Require(got.ok() && got->key == "k" + std::to_string(i),
            "after reopening, append " + std::to_string(i) + ": " + got.status().ToString());
  }
}

TEST(ChunkStoreConcurrencyTest, WaitersShareFlushesAndPipelineCommits) {
  const auto before = coverage::Snapshot();
  ExpectCleanWithin([] { WritersWaitAtOnce(2); }, 2);
  ExpectCleanWithin([] { WritersWaitAtOnce(3); }, 1);
  const auto reached = coverage::Delta(before, coverage::Snapshot());
  for (const char* point : {"a commit took no more requests once its writes were issued",
                            "a waiter woke after the flush it waited for, with the next one in "
                            "flight",
                            "a flush took in writes that became ready while its own were "
                            "written"}) {
    if (!reached.contains(point)) continue;  // a build without the engine's coverage points
    EXPECT_GT(reached.at(point), 0u) << "never reached: " << point;
  }
}

// Writers append while another writer's flush is writing its own: their writes join it. With
// `fail` the first data write to reach the disk fails: every write after it on its extent, in
// that flush or queued, must fail too, never become persistent past the hole. Every append
// reported persistent is there after a reopen.
void WritesJoiningAFlush(bool fail) {
  MemDisk disk({8, 16 * kPageBytes});
  Require(ChunkStore::Format(&disk, 9).ok(), "format");
  std::unique_ptr<ChunkStore> store = OpenChunkStore(&disk);
  // Opens the data extent: the writers' appends need no superblock of their own.
  const ChunkStore::Appended first = AppendChunk(*store, "first", 9);
  Require(first.dependency.Wait().ok(), "the first append");
  if (fail) disk.FailNext(first.locator.extent, IoKind::kWrite, 0);
  constexpr int kWriters = 2;
  std::vector<std::vector<std::pair<Locator, bool>>> done(kWriters);
  std::vector<std::unique_ptr<sync::Thread>> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.push_back(std::make_unique<sync::Thread>([&, w] {
      for (int n = 0; n < 2; ++n) {
        const ChunkStore::Appended appended = AppendChunk(
            *store, "k" + std::to_string(w) + std::to_string(n), static_cast<uint8_t>(w));
        const Status waited = appended.dependency.Wait();
        Require(waited.ok() == appended.dependency.IsPersistent() && (fail || waited.ok()),
                "append: " + waited.ToString());
        done[static_cast<size_t>(w)].emplace_back(appended.locator, waited.ok());
      }
    }));
  }
  for (auto& thread : threads) thread->Join();
  store.reset();
  store = OpenChunkStore(&disk);
  for (int w = 0; w < kWriters; ++w) {
    for (size_t n = 0; n < done[static_cast<size_t>(w)].size(); ++n) {
      const auto& [locator, persistent] = done[static_cast<size_t>(w)][n];
      if (!persistent) continue;
      StatusOr<ChunkStore::Chunk> got = store->Read(locator);
      Require(got.ok() && got->key == "k" + std::to_string(w) + std::to_string(n),
              "after reopening, a persistent append at " + locator.ToString() + ": " +
                  got.status().ToString());
    }
  }
}

TEST(ChunkStoreConcurrencyTest, WritesJoiningAFlushFailPastAHole) {
  const auto before = coverage::Snapshot();
  ExpectCleanWithin([] { WritesJoiningAFlush(false); }, 2);
  ExpectCleanWithin([] { WritesJoiningAFlush(true); }, 1);
  const auto reached = coverage::Delta(before, coverage::Snapshot());
  const char* point = "a flush took in writes that became ready while its own were written";
  if (reached.contains(point)) {  // a build with the engine's coverage points
    EXPECT_GT(reached.at(point), 0u) << "never reached: " << point;
  }
}

// A Wait races the close of its chunk store: it either drives its write to persistent first, or
// finds the store closed; the close never destroys the scheduler under a drive in progress.
void WaitRacesClose() {
  MemDisk disk({8, 16 * kPageBytes});
  Require(ChunkStore::Format(&disk, 9).ok(), "format");
  std::unique_ptr<ChunkStore> store = OpenChunkStore(&disk);
  const ChunkStore::Appended appended = AppendChunk(*store, "a", 1);
  sync::Thread waiter([&] {
    const Status waited = appended.dependency.Wait();
    Require(waited.ok() ? appended.dependency.IsPersistent()
                        : waited.ToString().find("closed") != std::string::npos,
            "a wait racing the close: " + waited.ToString());
  });
  sync::Thread closer([&] { store.reset(); });
  waiter.Join();
  closer.Join();
}

TEST(ChunkStoreConcurrencyTest, AWaitRacingTheCloseEndsCleanly) {
  ExpectCleanWithin(WaitRacesClose, 2);
}

// A read verifies its frame and fills the read cache without the chunk store's mutex, while
// another thread resets the extent and appends a different chunk at the same place. The read
// may see either chunk or Corruption, but the cache must never keep the old frame under the
// reused locator: a read after both finish returns the new chunk.
void ReadRacesResetAndReuse() {
  MemDisk disk({8, 16 * kPageBytes});
  Require(ChunkStore::Format(&disk, 9).ok(), "format");
  const std::unique_ptr<ChunkStore> opened = OpenChunkStore(&disk);
  ChunkStore& store = *opened;
  auto append = [&](const char* key, uint8_t fill) {
    return AppendChunk(store, key, fill).locator;
  };
  const Locator old = append("old", 1);
  Require(store.Flush().ok(), "flush");
  sync::Thread reader([&] {
    StatusOr<ChunkStore::Chunk> got = store.Read(old);
    Require(got.ok() ? got->key == "old" || got->key == "new" : got.status().IsCorruption(),
            "a read racing the reset: " + got.status().ToString());
  });
  sync::Thread resetter([&] {
    Require(store.Reset(old.extent).ok(), "reset");
    Require(append("new", 2) == old, "the new chunk did not reuse the old one's place");
  });
  reader.Join();
  resetter.Join();
  StatusOr<ChunkStore::Chunk> after = store.Read(old);
  Require(
      after.ok() && after->key == "new",
      "after the reset the locator reads " + (after.ok() ? after->key : after.status().ToString()));
}

TEST(ChunkStoreConcurrencyTest, ReadCacheNeverKeepsAFrameAcrossAReset) {
  ExpectCleanWithin(ReadRacesResetAndReuse, 2);
}

}  // namespace
}  // namespace shardstore
