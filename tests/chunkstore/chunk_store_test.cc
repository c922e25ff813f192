#include "chunkstore/chunk_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "shardstore/limits.h"
#include "shardstore/random.h"
#include "shardstore/sim/mem_disk.h"
#include "support/test_disks.h"
#include "util/checksum.h"
#include "util/coding.h"

namespace shardstore {
namespace {

using testing::PowerCutDisk;

// 200 extents: a superblock of 1680 bytes, so a write torn after 1 to 3 sectors is incomplete.
constexpr DiskGeometry kGeometry{200, 32 * kPageBytes};

Bytes Payload(Random& random, size_t bytes) {
  Bytes payload(bytes);
  for (uint8_t& b : payload) b = static_cast<uint8_t>(random.Next());
  return payload;
}

ChunkHeader DataHeader(uint64_t sequence) {
  ChunkHeader header;
  header.kind = ChunkKind::kData;
  header.sequence = sequence;
  return header;
}

class ChunkStoreTest : public ::testing::Test {
 protected:
  ChunkStoreTest() : disk_(kGeometry) { EXPECT_TRUE(ChunkStore::Format(&disk_, 9).ok()); }

  std::unique_ptr<ChunkStore> Open(Disk* disk = nullptr) {
    auto store = ChunkStore::Open({disk ? disk : &disk_, 1, false});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  ChunkStore::Appended Append(ChunkStore& store, const std::string& key, ByteView payload,
                              Dependency after = {}) {
    auto appended = store.Append(ExtentOwner::kData, DataHeader(store.NextSequence()), key, payload,
                                 std::move(after));
    EXPECT_TRUE(appended.ok()) << appended.status().ToString();
    return std::move(appended).value();
  }

  MemDisk disk_;
};

TEST_F(ChunkStoreTest, ReopenReturnsEveryFlushedChunk) {
  Random random(3);
  std::vector<std::pair<Locator, Bytes>> written;
  {
    auto store = Open();
    for (int i = 0; i < 40; ++i) {
      Bytes payload = Payload(random, random.Next() % (3 * kPageBytes));
      written.emplace_back(Append(*store, "k" + std::to_string(i), payload).locator, payload);
    }
    ASSERT_TRUE(store->Flush().ok());
  }
  disk_.CrashLosingAll();  // nothing is pending after Flush; this must not matter
  auto store = Open();
  std::vector<Locator> scanned;
  for (uint32_t extent : store->ExtentsOwnedBy(ExtentOwner::kData)) {
    ASSERT_TRUE(
        store->Scan(extent, [&](const Locator& l, const ChunkView&) { scanned.push_back(l); })
            .ok());
  }
  ASSERT_EQ(scanned.size(), written.size());
  for (size_t i = 0; i < written.size(); ++i) {
    EXPECT_EQ(scanned[i], written[i].first);
    auto chunk = store->Read(written[i].first);
    ASSERT_TRUE(chunk.ok()) << chunk.status().ToString();
    EXPECT_EQ(chunk->key, "k" + std::to_string(i));
    EXPECT_EQ(chunk->payload, written[i].second);
  }
}

TEST_F(ChunkStoreTest, UnflushedAppendsAreLostAndNeverServed) {
  Locator a, b;
  {
    auto store = Open();
    a = Append(*store, "a", Bytes(100, 1)).locator;
    ASSERT_TRUE(store->Flush().ok());
    b = Append(*store, "b", Bytes(100, 2)).locator;
    auto read = store->Read(b);  // served from the queue before it is written
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(read->payload, Bytes(100, 2));
  }
  disk_.CrashLosingAll();
  auto store = Open();
  EXPECT_TRUE(store->Read(a).ok());
  EXPECT_TRUE(store->Read(b).status().IsCorruption());
}

// A data chunk needs no superblock of its own: once its extent is recorded (the first chunk's
// allocation commit), each later append is persistent after one flush of its bytes, and
// recovery finds it past the persisted write pointer by following the extent's chain.
TEST_F(ChunkStoreTest, ADataChunkIsPersistentWithOneFlush) {
  Locator a, b, c;
  {
    auto store = Open();
    auto first = Append(*store, "a", Bytes(10, 1));
    ASSERT_TRUE(first.dependency.Wait().ok());
    a = first.locator;
    disk_.RecordEvents(true);
    auto second = Append(*store, "b", Bytes(5000, 2));
    auto third = Append(*store, "c", Bytes(10, 3));
    ASSERT_TRUE(second.dependency.And(third.dependency).Wait().ok());
    b = second.locator;
    c = third.locator;
    int flushes = 0, superblock_writes = 0;
    for (const auto& e : disk_.Events()) {
      flushes += e.kind == MemDisk::Event::Kind::kFlush;
      superblock_writes += e.kind == MemDisk::Event::Kind::kWrite && e.extent == 0;
    }
    EXPECT_EQ(flushes, 1);
    EXPECT_EQ(superblock_writes, 0);
  }
  disk_.CrashLosingAll();
  auto store = Open();
  for (const Locator& l : {a, b, c}) EXPECT_TRUE(store->Read(l).ok()) << l.ToString();
  // In whole pages: C's is the last one the chain uses.
  EXPECT_EQ(store->Extents()[a.extent].write_pointer, coding::RoundUp(c.end(), kPageBytes));
  int scanned = 0;
  ASSERT_TRUE(store->Scan(a.extent, [&](const Locator&, const ChunkView&) { ++scanned; }).ok());
  EXPECT_EQ(scanned, 3);
}

// B's bytes never reach the disk: after the crash the chain ends at A, B is neither read nor
// scanned, and the next append reuses its space.
TEST_F(ChunkStoreTest, NeverServesBytesPastTheChainsEnd) {
  // Flushes: 1 boot commit; 2, 3 A's data and its extent's allocation commit; 4 B's data, cut.
  PowerCutDisk cut(&disk_, /*stop_at=*/4);
  Locator a, b;
  {
    auto store = Open(&cut);
    a = Append(*store, "a", Bytes(10, 1)).locator;
    ASSERT_TRUE(store->Flush().ok());
    auto appended = Append(*store, "b", Bytes(10, 2));
    b = appended.locator;
    EXPECT_FALSE(store->Flush().ok());
    EXPECT_TRUE(appended.dependency.Failed());
  }
  ASSERT_TRUE(cut.cut());
  disk_.CrashLosingAll();
  auto store = Open();
  EXPECT_TRUE(store->Read(a).ok());
  EXPECT_TRUE(store->Read(b).status().IsCorruption());
  int scanned = 0;
  ASSERT_TRUE(store->Scan(a.extent, [&](const Locator&, const ChunkView&) { ++scanned; }).ok());
  EXPECT_EQ(scanned, 1);
  EXPECT_EQ(Append(*store, "c", Bytes(10, 3)).locator, b);
}

// A crash tears B and keeps C whole behind it (neither persistent). Recovery ends the chain at
// A; the store appends D where B was, of B's size, so D ends where C starts. After a second crash
// the chain must stop at D: C links to B, which no longer exists, and must not come back.
TEST_F(ChunkStoreTest, AFrameLeftBehindATornOneNeverRejoinsTheChain) {
  // Flushes: 1 boot commit; 2, 3 A's data and its extent's allocation commit; 4 B and C, cut.
  PowerCutDisk cut(&disk_, /*stop_at=*/4);
  Locator a, b, c;
  {
    auto store = Open(&cut);
    a = Append(*store, "a", Bytes(10, 1)).locator;
    ASSERT_TRUE(store->Flush().ok());
    // B fills its two pages to the last byte, so C (packed behind it) starts a third.
    b = Append(*store, "b", Bytes(2 * kPageBytes - kChunkHeaderBytes - kChunkTrailerBytes - 1, 2))
            .locator;
    c = Append(*store, "c", Bytes(10, 3)).locator;
    EXPECT_FALSE(store->Flush().ok());
  }
  ASSERT_TRUE(cut.cut());
  ASSERT_EQ(b.end(), c.offset);
  // Pending: B's two pages, then C's page. Tear B's first page, lose its second, keep C.
  ASSERT_EQ(disk_.PendingPages().size(), 3u);
  const std::vector<MemDisk::SectorsKept> plan = {3, MemDisk::kPageLost, MemDisk::kPageWhole};
  disk_.Crash(plan);
  Locator d;
  {
    auto store = Open();
    EXPECT_TRUE(store->Read(b).status().IsCorruption());
    EXPECT_TRUE(store->Read(c).status().IsCorruption());  // past the chain's end
    d = Append(*store, "d", Bytes(2 * kPageBytes - kChunkHeaderBytes - kChunkTrailerBytes - 1, 4))
            .locator;
    ASSERT_EQ(d, b);
    ASSERT_TRUE(store->Flush().ok());
  }
  disk_.CrashLosingAll();
  auto store = Open();
  EXPECT_TRUE(store->Read(d).ok());
  EXPECT_EQ(store->Extents()[a.extent].write_pointer, d.end());
  EXPECT_TRUE(store->Read(c).status().IsCorruption());
}

// A data extent whose first frame is not durable yet is recorded by no superblock: a commit
// made meanwhile records it with nothing in it, and recovery takes it for free.
TEST_F(ChunkStoreTest, ADataExtentIsRecordedOnlyOnceItsFirstFrameIsDurable) {
  {
    auto store = Open();
    disk_.RecordEvents(true);
    auto first = Append(*store, "a", Bytes(10, 1));
    ASSERT_TRUE(first.dependency.Wait().ok());
    // The frame's write and flush come before the superblock that records its extent.
    int data_write = -1, flush_after = -1, superblock_write = -1;
    const auto events = disk_.Events();
    for (int i = 0; i < static_cast<int>(events.size()); ++i) {
      const auto& e = events[i];
      if (e.kind == MemDisk::Event::Kind::kWrite && e.extent == first.locator.extent) {
        data_write = i;
      }
      if (e.kind == MemDisk::Event::Kind::kFlush && data_write >= 0 && flush_after < 0) {
        flush_after = i;
      }
      if (e.kind == MemDisk::Event::Kind::kWrite && e.extent == 0) superblock_write = i;
    }
    EXPECT_LT(data_write, flush_after);
    EXPECT_LT(flush_after, superblock_write);
  }
}

class TornSuperblockTest : public ChunkStoreTest,
                           public ::testing::WithParamInterface<std::tuple<int, int>> {};

// A commit's superblock write is torn at every sector count, for each of the two slots: recovery
// falls back to the other slot and loses nothing that was persistent. Index chunks: each needs a
// commit whose write pointer covers it.
TEST_P(TornSuperblockTest, TornSlotFallsBackToTheOther) {
  const auto [rounds, sectors_kept] = GetParam();
  // Flushes: 1 boot commit; two per round; then the lost chunk's data, then its commit (cut).
  PowerCutDisk cut(&disk_, /*stop_at=*/1 + 2 * rounds + 2);
  std::vector<Locator> persistent;
  uint64_t sequence_before = 0;
  const auto append_index = [](ChunkStore& store, const std::string& key) {
    ChunkHeader header;
    header.kind = ChunkKind::kIndexRun;
    header.sequence = store.NextSequence();
    auto appended = store.Append(ExtentOwner::kIndex, header, key, Bytes(50, 7), Dependency());
    EXPECT_TRUE(appended.ok()) << appended.status().ToString();
    return appended->locator;
  };
  {
    auto store = Open(&cut);
    for (int r = 0; r < rounds; ++r) {
      persistent.push_back(append_index(*store, "p" + std::to_string(r)));
      ASSERT_TRUE(store->Flush().ok());
    }
    sequence_before = store->superblock_sequence();
    append_index(*store, "lost");
    EXPECT_FALSE(store->Flush().ok());
  }
  const auto pending = disk_.PendingPages();
  ASSERT_FALSE(pending.empty());
  std::vector<MemDisk::SectorsKept> plan(pending.size(), MemDisk::kPageWhole);
  plan[0] = static_cast<MemDisk::SectorsKept>(sectors_kept);              // torn first page,
  for (size_t i = 1; i < plan.size(); ++i) plan[i] = MemDisk::kPageLost;  // rest lost
  disk_.Crash(plan);
  auto store = Open();
  ASSERT_NE(store, nullptr);
  // The new superblock survives only if every byte its checksum covers did.
  const uint32_t covered =
      kSuperblockHeaderBytes + kGeometry.extent_count * kSuperblockEntryBytes + 8;
  const bool new_one_whole =
      uint32_t{static_cast<uint32_t>(sectors_kept)} * kSectorBytes >= covered;
  // Reopening makes one more commit (the boot commit) on top of what it recovered.
  EXPECT_EQ(store->superblock_sequence(), sequence_before + (new_one_whole ? 1 : 0) + 1);
  for (const Locator& l : persistent) EXPECT_TRUE(store->Read(l).ok()) << l.ToString();
}

INSTANTIATE_TEST_SUITE_P(BothSlotsEverySector, TornSuperblockTest,
                         ::testing::Combine(::testing::Values(1, 2), ::testing::Range(0, 8)));

TEST_F(ChunkStoreTest, AppendsAfterResetWaitForTheResetToBeRecorded) {
  auto store = Open();
  const Locator old = Append(*store, "old", Bytes(10, 1)).locator;
  ASSERT_TRUE(store->Flush().ok());
  disk_.RecordEvents(true);
  const Dependency reset = *store->Reset(old.extent);
  auto fresh = Append(*store, "new", Bytes(10, 2));
  EXPECT_EQ(fresh.locator.extent, old.extent);  // the lowest free extent is reused
  EXPECT_EQ(fresh.locator.offset, 0u);
  const Status waited = fresh.dependency.Wait();
  ASSERT_TRUE(waited.ok()) << waited.ToString();
  EXPECT_TRUE(reset.IsPersistent());
  // The superblock recording the reset was written and flushed before the new data.
  const auto events = disk_.Events();
  int superblock_write = -1, flush_after = -1, data_write = -1;
  for (int i = 0; i < static_cast<int>(events.size()); ++i) {
    const auto& e = events[i];
    if (e.kind == MemDisk::Event::Kind::kWrite && e.extent == 0 && superblock_write < 0) {
      superblock_write = i;
    }
    if (e.kind == MemDisk::Event::Kind::kFlush && superblock_write >= 0 && flush_after < 0) {
      flush_after = i;
    }
    if (e.kind == MemDisk::Event::Kind::kWrite && e.extent == old.extent) data_write = i;
  }
  EXPECT_LT(superblock_write, flush_after);
  EXPECT_LT(flush_after, data_write);
}

TEST_F(ChunkStoreTest, FailedWriteIsNeverServedAndTheStoreKeepsGoing) {
  auto store = Open();
  const Locator good = Append(*store, "good", Bytes(10, 1)).locator;
  ASSERT_TRUE(store->Flush().ok());
  disk_.FailNext(good.extent, IoKind::kWrite);
  auto bad = Append(*store, "bad", Bytes(10, 2));
  EXPECT_TRUE(bad.dependency.Wait().IsIOError());
  EXPECT_TRUE(store->Read(bad.locator).status().IsIOError());
  auto next = Append(*store, "next", Bytes(10, 3));
  EXPECT_NE(next.locator.extent, good.extent);  // the damaged extent takes no more appends
  EXPECT_TRUE(next.dependency.Wait().ok());
  EXPECT_TRUE(store->Read(good).ok());
  EXPECT_TRUE(store->Read(next.locator).ok());
}

TEST_F(ChunkStoreTest, InjectedReadErrorIsAnIOError) {
  auto store = Open();
  const Locator l = Append(*store, "k", Bytes(10, 1)).locator;
  ASSERT_TRUE(store->Flush().ok());
  disk_.FailNext(l.extent, IoKind::kRead);
  EXPECT_TRUE(store->Read(l).status().IsIOError());
  EXPECT_TRUE(store->Read(l).ok());
}

TEST_F(ChunkStoreTest, FlippedBitInAPersistedChunkIsCorruption) {
  // No read cache: every read must go to the (damaged) media.
  auto opened = ChunkStore::Open({&disk_, 1, false, /*read_cache_bytes=*/0});
  ASSERT_TRUE(opened.ok());
  auto store = std::move(opened).value();
  const Locator l = Append(*store, "k", Bytes(3000, 1)).locator;
  ASSERT_TRUE(store->Flush().ok());
  for (uint32_t at : {0u, 70u, 100u, 3000u, l.length - 1}) {
    disk_.CorruptByte(l.extent, l.offset + at, 0x10);
    EXPECT_TRUE(store->Read(l).status().IsCorruption()) << at;
    disk_.CorruptByte(l.extent, l.offset + at, 0x10);
    EXPECT_TRUE(store->Read(l).ok());
  }
}

TEST_F(ChunkStoreTest, ReadCacheIsDrainedWhenAnExtentIsReset) {
  auto store = Open();
  const Locator old = Append(*store, "old", Bytes(10, 1)).locator;
  ASSERT_TRUE(store->Flush().ok());
  ASSERT_EQ(store->Read(old)->key, "old");  // now cached
  ASSERT_TRUE(store->Reset(old.extent).ok());
  const Locator fresh = Append(*store, "new", Bytes(10, 2)).locator;
  ASSERT_EQ(fresh, old);  // the same place, a different chunk
  ASSERT_TRUE(store->Flush().ok());
  auto read = store->Read(fresh);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->key, "new");
}

TEST_F(ChunkStoreTest, RefusesBlankForeignAndMismatchedDisks) {
  MemDisk blank(kGeometry);
  EXPECT_TRUE(ChunkStore::Open({&blank, 1, false}).status().IsInvalidArgument());
  EXPECT_TRUE(ChunkStore::Open({&blank, 1, /*format_if_blank=*/true}).ok());

  MemDisk foreign(kGeometry);
  ASSERT_TRUE(foreign.Write(0, 0, Bytes(kPageBytes, 0x5a)).ok());
  auto refused = ChunkStore::Open({&foreign, 1, true});
  EXPECT_TRUE(refused.status().IsInvalidArgument()) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("not a shardstore disk"), std::string::npos);

  MemDisk other_geometry({8, 64 * kPageBytes});
  Bytes label(kPageBytes);
  ASSERT_TRUE(disk_.Read(0, 0, label).ok());
  ASSERT_TRUE(other_geometry.Write(0, 0, label).ok());
  EXPECT_TRUE(ChunkStore::Open({&other_geometry, 1, false}).status().IsInvalidArgument());
}

TEST_F(ChunkStoreTest, NewerFormatVersionIsRefusedClearly) {
  Bytes label(kPageBytes);
  ASSERT_TRUE(disk_.Read(0, 0, label).ok());
  coding::Put32(label.data() + 8, kDiskFormatVersion + 1);
  coding::Put64(label.data() + 40, Checksum(ByteView(label.data(), 40)));  // a valid future label
  ASSERT_TRUE(disk_.Write(0, 0, label).ok());
  auto refused = ChunkStore::Open({&disk_, 1, false});
  EXPECT_TRUE(refused.status().IsInvalidArgument()) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("version " + std::to_string(kDiskFormatVersion + 1) +
                                            " is not supported"),
            std::string::npos);
}

// A disk of format version 1 (no replay floors) opens: read-only it is left as it is; a writable
// open rewrites its label as version 2 before its first superblock, so that a version 1 build
// refuses the disk rather than falling back to the older superblock slot it can still read.
// Versions 1 to 3 have version 4's layout; a read-only open leaves the label as it is, a
// writable one upgrades it before it writes a version 4 superblock.
TEST_F(ChunkStoreTest, AnOlderDiskOpensAndAWritableOpenUpgradesItsLabel) {
  for (const uint32_t version : {1u, 2u, 3u}) {
    SCOPED_TRACE("version " + std::to_string(version));
    ASSERT_TRUE(ChunkStore::Format(&disk_, 9).ok());
    auto rewrite_version = [&](uint32_t offset, uint32_t bytes, size_t checksum_at) {
      Bytes page(bytes);
      ASSERT_TRUE(disk_.Read(0, offset, page).ok());
      coding::Put32(page.data() + 8, version);
      coding::Put64(page.data() + checksum_at, Checksum(ByteView(page.data(), checksum_at)));
      ASSERT_TRUE(disk_.Write(0, offset, page).ok());
    };
    const uint32_t slot_bytes = SuperblockSlotBytes(kGeometry.extent_count);
    rewrite_version(0, kPageBytes, 40);
    for (int slot : {0, 1}) {
      rewrite_version(SuperblockSlotOffset(kGeometry.extent_count, slot), slot_bytes,
                      kSuperblockHeaderBytes + kGeometry.extent_count * kSuperblockEntryBytes);
    }
    ASSERT_TRUE(disk_.Flush().ok());
    auto label_version = [&] {
      Bytes page(kPageBytes);
      EXPECT_TRUE(disk_.Read(0, 0, page).ok());
      return DecodeLabel(page)->version;
    };
    ChunkStoreOptions read_only{&disk_, 1, false};
    read_only.read_only = true;
    ASSERT_TRUE(ChunkStore::Open(read_only).ok());
    EXPECT_EQ(label_version(), version);
    auto store = ChunkStore::Open({&disk_, 1, false});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_EQ(label_version(), kDiskFormatVersion);
    ChunkHeader header;
    ASSERT_TRUE((*store)->Append(ExtentOwner::kData, header, "k", AsBytes("v"), Dependency()).ok());
    ASSERT_TRUE((*store)->Flush().ok());
    store->reset();
    EXPECT_TRUE(ChunkStore::Open({&disk_, 1, false}).ok());
  }
}

// A frame of chunk format version 1 (a version 2 disk's, past its persisted write pointer, never
// acknowledged) carries no link: recovery does not follow it.
TEST_F(ChunkStoreTest, AFormatVersionOneFrameIsNeverFollowed) {
  Locator a;
  {
    auto store = Open();
    a = Append(*store, "a", Bytes(10, 1)).locator;
    ASSERT_TRUE(store->Flush().ok());
  }
  // The frame an older build would have appended after A: version 1, the link bytes zero.
  ChunkHeader header = DataHeader(99);
  header.uuid[0] = 1;
  PageBytes frame = EncodeChunk(header, "old", AsBytes("stale"));
  // Version 1 frames fill their page: the trailer moves to its end, and the body takes the zeros.
  const uint32_t trailer_at = ChunkFrameBytes(3, 5) - kChunkTrailerBytes;
  std::copy_n(frame.begin() + trailer_at, kChunkTrailerBytes, frame.end() - kChunkTrailerBytes);
  std::fill_n(frame.begin() + trailer_at, kChunkTrailerBytes, 0);
  frame[24] = 1;
  coding::Put64(frame.data() + 56,
                Checksum(ByteView(frame.data() + kChunkHeaderBytes,
                                  frame.size() - kChunkHeaderBytes - kChunkTrailerBytes)));
  coding::Put64(frame.data() + 64, Checksum(ByteView(frame.data(), 64),
                                            ByteView(frame.data() + kChunkHeaderBytes, 3)));
  ASSERT_TRUE(DecodeChunk(ByteView(frame.data(), frame.size())).ok());
  // On the next page: the writes of a version 2 build were whole pages.
  const auto next_page = static_cast<uint32_t>(coding::RoundUp(a.end(), kPageBytes));
  ASSERT_TRUE(disk_.Write(a.extent, next_page, ByteView(frame.data(), frame.size())).ok());
  ASSERT_TRUE(disk_.Flush().ok());
  auto store = Open();
  EXPECT_EQ(store->Extents()[a.extent].write_pointer, next_page);
}

TEST_F(ChunkStoreTest, OpenFailsCleanlyWhenTheBootCommitCannotBeWritten) {
  PowerCutDisk cut(&disk_, /*stop_at=*/1);
  auto store = ChunkStore::Open({&cut, 1, false});
  EXPECT_TRUE(store.status().IsIOError()) << store.status().ToString();
  disk_.CrashLosingAll();
  EXPECT_NE(Open(), nullptr);
}

TEST_F(ChunkStoreTest, EveryOpenIsANewBoot) {
  uint64_t first = 0;
  {
    auto store = Open();
    first = store->superblock_sequence();
  }
  disk_.CrashLosingAll();
  EXPECT_EQ(Open()->superblock_sequence(), first + 1);
}

TEST_F(ChunkStoreTest, BothSlotsDestroyedIsCorruption) {
  for (int slot : {0, 1}) {
    disk_.CorruptByte(0, SuperblockSlotOffset(kGeometry.extent_count, slot) + 20, 0xff);
  }
  auto refused = ChunkStore::Open({&disk_, 1, false});
  EXPECT_TRUE(refused.status().IsCorruption()) << refused.status().ToString();
}

TEST_F(ChunkStoreTest, NoSpaceLeavesPersistentChunksIntact) {
  auto store = Open();
  std::vector<Locator> kept;
  Status status;
  for (int i = 0; i < 10000; ++i) {
    auto appended = store->Append(ExtentOwner::kData, DataHeader(store->NextSequence()), "k",
                                  Bytes(3 * kPageBytes, static_cast<uint8_t>(i)), {});
    if (!appended.ok()) {
      status = appended.status();
      break;
    }
    kept.push_back(appended->locator);
  }
  EXPECT_TRUE(status.IsNoSpace()) << status.ToString();
  ASSERT_TRUE(store->Flush().ok());
  store.reset();
  store = Open();
  for (const Locator& l : kept) ASSERT_TRUE(store->Read(l).ok()) << l.ToString();
}

}  // namespace
}  // namespace shardstore
