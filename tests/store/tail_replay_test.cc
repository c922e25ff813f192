// Recovery of the Puts and Deletes made durable after the last index flush: a Put is durable
// with its chunks and one superblock, and recovery replays the chunks past each data extent's
// replay floor into the memtable.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

#include "shardstore/random.h"
#include "shardstore/sim/mem_disk.h"
#include "shardstore/store.h"
#include "store/store_impl.h"

namespace shardstore {
namespace {

constexpr DiskGeometry kGeometry{24, 16 * kPageBytes};
constexpr uint32_t kChunkPayload = 2 * kPageBytes;

StoreOptions Options(Disk* disk) {
  StoreOptions options;
  options.disk = disk;
  options.format_if_blank = true;
  options.chunk_payload_bytes_max = kChunkPayload;
  options.memtable_entries_max = 1000;  // no index flush unless a test asks
  options.reclaim_free_extents_min = 0;
  return options;
}

std::unique_ptr<Store> Open(Disk* disk) {
  auto store = Store::Open(Options(disk));
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

Bytes Value(Random& random, size_t bytes) {
  Bytes value(bytes);
  for (uint8_t& b : value) b = static_cast<uint8_t>(random.Next());
  return value;
}

// The extent's line in Stat(), or a blank one while it is free (Stat lists only extents in use).
ExtentStat ExtentOf(Store& store, uint32_t extent) {
  for (const ExtentStat& e : store.Stat().extents) {
    if (e.extent == extent) return e;
  }
  return ExtentStat{extent, "free", 0, 0, 0, false};
}

void ExpectContents(Store& store, const std::map<std::string, Bytes>& model) {
  for (const auto& [key, value] : model) {
    StatusOr<Bytes> got = store.Get(key);
    ASSERT_TRUE(got.ok()) << key << ": " << got.status().ToString();
    EXPECT_EQ(*got, value) << key;
  }
  std::vector<std::string> keys;
  for (const auto& [key, value] : model) keys.push_back(key);
  EXPECT_EQ(*store.List(), keys);
}

TEST(TailReplayTest, DurablePutsAndDeletesSurviveACrashBeforeAnyIndexFlush) {
  MemDisk disk(kGeometry);
  std::map<std::string, Bytes> model;
  Random random(11);
  {
    auto store = Open(&disk);
    model["gone"] = Value(random, 100);
    ASSERT_TRUE(store->Put("gone", model["gone"]).ok());
    ASSERT_TRUE(store->Flush().ok());  // "gone" is in a run; its delete will not be
    for (int round = 0; round < 3; ++round) {
      for (const char* key : {"small", "multi", "empty"}) {
        const size_t bytes = std::string(key) == "multi"   ? 3 * kChunkPayload + 5
                             : std::string(key) == "empty" ? 0
                                                           : 10 + round;
        model[key] = Value(random, bytes);
        auto put = store->Put(key, model[key]);
        ASSERT_TRUE(put.ok());
        ASSERT_TRUE(put->Wait().ok());
      }
    }
    auto deleted = store->Delete("gone");
    ASSERT_TRUE(deleted.ok());
    ASSERT_TRUE(deleted->Wait().ok());
    model.erase("gone");
    EXPECT_GT(store->Stat().memtable_entries, 0u);
  }
  disk.CrashLosingAll();
  auto store = Open(&disk);
  EXPECT_EQ(store->Stat().memtable_entries, 4u);  // replayed: nothing else holds them
  ExpectContents(*store, model);
  // A second crash before the replayed entries are flushed replays them again.
  store.reset();
  disk.CrashLosingAll();
  store = Open(&disk);
  ExpectContents(*store, model);
  // Once flushed, the floors move past them: nothing is left to replay.
  ASSERT_TRUE(store->Flush().ok());
  store.reset();
  disk.CrashLosingAll();
  store = Open(&disk);
  EXPECT_EQ(store->Stat().memtable_entries, 0u);
  ExpectContents(*store, model);
}

// One client, one durable Put: its chunk and one flush; no superblock (its extent is recorded
// already). The index flush is off the Put's path. Each survives a crash right after.
TEST(TailReplayTest, ADurablePutCostsOneFlush) {
  MemDisk disk(kGeometry);
  auto store = Open(&disk);
  ASSERT_TRUE(store->Put("warm", AsBytes("up")).ok());
  ASSERT_TRUE(store->Flush().ok());
  for (int i = 0; i < 5; ++i) {
    const uint64_t before = disk.stats().flushes;
    auto put = store->Put("k" + std::to_string(i), Bytes(5000, 1));
    ASSERT_TRUE(put.ok());
    ASSERT_TRUE(put->Wait().ok());
    EXPECT_EQ(disk.stats().flushes - before, 1u);
  }
  store.reset();
  disk.CrashLosingAll();
  store = Open(&disk);
  for (int i = 0; i < 5; ++i) {
    const auto got = store->Get("k" + std::to_string(i));
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, Bytes(5000, 1));
  }
}

// An extent reclaimed and reset starts over below the replay floor its old chunks had: the Puts
// that reuse it are replayed from offset 0.
TEST(TailReplayTest, AResetExtentIsReplayedFromItsStart) {
  MemDisk disk(kGeometry);
  std::map<std::string, Bytes> model;
  Random random(12);
  uint32_t reused = 0;
  {
    auto store = Open(&disk);
    // Fill the first data extent with values that are then overwritten, so it holds only dead
    // chunks, and flush: its replay floor is now its write pointer.
    const auto data_extents = [&] {
      const StoreStat stat = store->Stat();
      return std::count_if(stat.extents.begin(), stat.extents.end(),
                           [](const ExtentStat& e) { return e.owner == "data"; });
    };
    for (int i = 0; i < 40 && data_extents() < 2; ++i) {
      ASSERT_TRUE(store->Put("k", Value(random, 3 * kPageBytes)).ok());
    }
    model["k"] = Value(random, 3 * kPageBytes);
    ASSERT_TRUE(store->Put("k", model["k"]).ok());
    ASSERT_TRUE(store->Flush().ok());
    const StoreStat stat = store->Stat();
    for (const ExtentStat& e : stat.extents) {
      if (e.owner == "data" && e.live_bytes == 0) reused = e.extent;
    }
    ASSERT_NE(reused, 0u) << "no all-dead data extent to reclaim";
    ASSERT_TRUE(store->Reclaim(reused).ok());
    // New Puts until one lands in the reset extent.
    for (int i = 0; i < 40 && ExtentOf(*store, reused).write_pointer == 0; ++i) {
      const std::string key = "n" + std::to_string(i);
      model[key] = Value(random, 3 * kPageBytes);
      auto put = store->Put(key, model[key]);
      ASSERT_TRUE(put.ok());
      ASSERT_TRUE(put->Wait().ok());
    }
    ASSERT_GT(ExtentOf(*store, reused).write_pointer, 0u);
    ASSERT_EQ(ExtentOf(*store, reused).resets, 1u);
  }
  disk.CrashLosingAll();
  auto store = Open(&disk);
  ExpectContents(*store, model);
}

TEST(TailReplayTest, ADamagedChunkPastTheFloorIsCorruption) {
  MemDisk disk(kGeometry);
  Locator at;
  {
    auto store = Open(&disk);
    auto put = store->Put("k", Bytes(3000, 7));
    ASSERT_TRUE(put.ok());
    ASSERT_TRUE(put->Wait().ok());
    for (const LiveChunk& chunk : StoreInternals(*store).LiveChunks()) {
      if (chunk.kind == LiveChunk::Kind::kData) at = chunk.locator;
    }
  }
  disk.CrashLosingAll();
  ASSERT_GT(at.length, 0u);
  disk.CorruptByte(at.extent, at.offset + 200, 0x10);  // in the payload
  auto store = Store::Open(Options(&disk));
  ASSERT_TRUE(store.status().IsCorruption()) << store.status().ToString();
  EXPECT_NE(store.status().message().find("after the last index flush"), std::string::npos)
      << store.status().message();
}

}  // namespace
}  // namespace shardstore
