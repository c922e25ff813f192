#include "shardstore/salvage.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "chunkstore/chunk_store.h"
#include "shardstore/random.h"
#include "shardstore/sim/mem_disk.h"
#include "shardstore/store.h"
#include "store/store_impl.h"
#include "superblock/superblock.h"

namespace shardstore {
namespace {

constexpr DiskGeometry kGeometry{96, 32 * kPageBytes};
constexpr uint32_t kChunkPayload = 2 * kPageBytes;  // small, so values span several chunks

StoreOptions Options(Disk* disk, bool read_only = false) {
  StoreOptions options;
  options.disk = disk;
  options.read_only = read_only;
  options.format_if_blank = !read_only;
  options.chunk_payload_bytes_max = kChunkPayload;
  options.memtable_entries_max = 24;  // several runs, and compactions dropping tombstones
  options.level0_runs_max = 3;
  return options;
}

SalvageOptions Salvage(Disk* disk) {
  SalvageOptions options;
  options.disk = disk;
  options.chunk_payload_bytes_max = kChunkPayload;
  return options;
}

Bytes Value(Random& random, size_t bytes) {
  Bytes value(bytes);
  for (uint8_t& b : value) b = static_cast<uint8_t>(random.Next());
  return value;
}

// Every byte the disk holds below each extent's end, to show a command wrote nothing.
std::vector<Bytes> Image(MemDisk& disk) {
  std::vector<Bytes> image;
  for (uint32_t e = 0; e < disk.geometry().extent_count; ++e) {
    Bytes extent(disk.geometry().extent_bytes);
    EXPECT_TRUE(disk.Read(e, 0, extent).ok());
    image.push_back(std::move(extent));
  }
  return image;
}

// Per key: every value it was ever given (newest last) and whether it is deleted now. All
// acknowledged: the workload ends with a Shutdown that makes everything persistent.
struct History {
  std::vector<Bytes> values;
  bool deleted = false;
};

// Builds an image by puts (0 bytes to several chunks), overwrites, deletes and re-puts, with
// flushes and compactions along the way.
std::map<std::string, History> BuildImage(MemDisk* disk, uint64_t seed) {
  std::map<std::string, History> history;
  auto store = Store::Open(Options(disk));
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  Random random(seed);
  for (int step = 0; step < 1000; ++step) {
    // Long keys: a bigger index, so more pages to damage.
    const std::string key = "key/" + std::to_string(random.Next() % 250) + std::string(60, '.');
    History& h = history[key];
    if (random.Next() % 6 == 0 && !h.values.empty() && !h.deleted) {
      EXPECT_TRUE((*store)->Delete(key).ok());
      h.deleted = true;
      continue;
    }
    const size_t sizes[] = {
        0, 1, 100, kChunkPayload - 1, kChunkPayload, kChunkPayload + 1, 3 * kChunkPayload + 5};
    h.values.push_back(Value(random, sizes[random.Next() % 7]));
    h.deleted = false;
    EXPECT_TRUE((*store)->Put(key, h.values.back()).ok());
    if (step % 97 == 0) {
      EXPECT_TRUE((*store)->Flush().ok());
    }
  }
  EXPECT_TRUE((*store)->Shutdown().ok());
  return history;
}

struct Tally {
  size_t expected = 0;     // keys with a value
  size_t recovered = 0;    // of those, reading back exactly their last value
  size_t resurrected = 0;  // deleted keys reading back their last value
  size_t wrong = 0;        // any other outcome: never allowed
};

// Reads every key of `history` from the disk as it is now.
Tally Count(Disk* disk, const std::map<std::string, History>& history) {
  Tally tally;
  auto store = Store::Open(Options(disk, /*read_only=*/true));
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return tally;
  for (const auto& [key, h] : history) {
    StatusOr<Bytes> got = (*store)->Get(key);
    if (!h.deleted) {
      ++tally.expected;
      if (got.ok() && *got == h.values.back()) {
        ++tally.recovered;
      } else {
        ++tally.wrong;
        ADD_FAILURE() << key << ": " << (got.ok() ? "another value" : got.status().ToString());
      }
    } else if (got.ok() && *got == h.values.back()) {
      ++tally.resurrected;
    } else if (!got.status().IsNotFound()) {
      ++tally.wrong;
      ADD_FAILURE() << "deleted " << key << ": "
                    << (got.ok() ? "a value it did not last hold" : got.status().ToString());
    }
  }
  return tally;
}

// Every page of every index run and metadata chunk the store needs: the part of it the frame
// covers.
std::vector<Locator> IndexPages(MemDisk* disk) {
  auto store = Store::Open(Options(disk, /*read_only=*/true));
  EXPECT_TRUE(store.ok());
  std::vector<Locator> pages;
  for (const LiveChunk& chunk : StoreInternals(**store).LiveChunks()) {
    if (chunk.kind == LiveChunk::Kind::kData) continue;
    // A frame's last page may hold less than a page of it (the rest is no frame's).
    for (uint32_t at = 0; at < chunk.locator.length; at += kPageBytes) {
      pages.push_back({chunk.locator.extent, chunk.locator.offset + at,
                       std::min(kPageBytes, chunk.locator.length - at)});
    }
  }
  return pages;
}

// Flips one byte of `page`, at a place that moves with `salt` so every field gets hit.
void Flip(MemDisk* disk, const Locator& page, uint32_t salt) {
  const uint32_t at = (salt * 733 + 11) % page.length;
  disk->CorruptByte(page.extent, page.offset + at, 0x5a);
}

// The acceptance test: for every page of the index and its metadata, a byte flipped in its
// header, its middle or its end (the trailer, on a frame's last page) makes the image
// unopenable; salvage then brings back every value (all data chunks are intact), exactly.
TEST(SalvageTest, RecoversEveryIntactValueAfterAnyIndexOrMetadataPageIsFlipped) {
  MemDisk disk(kGeometry);
  const std::map<std::string, History> history = BuildImage(&disk, 14);
  const std::vector<Locator> pages = IndexPages(&disk);
  ASSERT_GE(pages.size(), 8u);
  Tally total;
  size_t trials = 0, deleted = 0;
  for (const auto& [key, h] : history) deleted += h.deleted;
  for (const Locator& page : pages) {
    for (uint32_t at : {11u, page.length / 2, page.length - 6}) {
      SCOPED_TRACE("page " + page.ToString() + " byte " + std::to_string(at));
      std::unique_ptr<MemDisk> copy = disk.Snapshot();
      copy->CorruptByte(page.extent, page.offset + at, 0x5a);
      ASSERT_FALSE(Store::Open(Options(copy.get(), /*read_only=*/true)).ok());
      StatusOr<SalvageReport> report = SalvageImage(Salvage(copy.get()));
      ASSERT_TRUE(report.ok()) << report.status().ToString();
      EXPECT_TRUE(report->rebuilt);
      EXPECT_EQ(report->unrecoverable, 0u);
      const Tally tally = Count(copy.get(), history);
      ASSERT_EQ(tally.recovered, tally.expected);
      if (tally.resurrected > 0) {
        EXPECT_TRUE(report->deletes_may_be_lost);
      }
      total.expected += tally.expected;
      total.recovered += tally.recovered;
      total.resurrected += tally.resurrected;
      total.wrong += tally.wrong;
      ++trials;
    }
  }
  EXPECT_EQ(total.wrong, 0u);
  ASSERT_EQ(total.recovered, total.expected);
  std::printf(
      "flipped a byte in each of %zu index and metadata pages, %zu trials: recovered %zu/%zu "
      "values (100%%); %zu of %zu deleted-key readings came back (their tombstone lost)\n",
      pages.size(), trials, total.recovered, total.expected, total.resurrected, trials * deleted);
}

// Flips a byte of every page of every index and metadata extent, live or dead; returns how many.
size_t FlipEveryIndexPage(MemDisk* disk) {
  size_t flipped = 0;
  auto store = Store::Open(Options(disk, /*read_only=*/true));
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return 0;
  for (const ExtentStat& extent : (*store)->Stat().extents) {
    if (extent.owner != "index" && extent.owner != "metadata") continue;
    for (uint32_t at = 0; at < extent.write_pointer; at += kPageBytes) {
      Flip(disk, {extent.extent, at, kPageBytes}, static_cast<uint32_t>(flipped++));
    }
  }
  return flipped;
}

// Every page of every index and metadata extent at once, live or dead: nothing of the index
// survives, and every value still comes back.
TEST(SalvageTest, RecoversEveryIntactValueWithTheWholeIndexDestroyed) {
  MemDisk disk(kGeometry);
  const std::map<std::string, History> history = BuildImage(&disk, 15);
  const size_t flipped = FlipEveryIndexPage(&disk);
  ASSERT_FALSE(Store::Open(Options(&disk, /*read_only=*/true)).ok());
  StatusOr<SalvageReport> report = SalvageImage(Salvage(&disk));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->complete_index_version, 0u);
  EXPECT_TRUE(report->deletes_may_be_lost);
  EXPECT_EQ(report->unrecoverable, 0u);
  const Tally tally = Count(&disk, history);
  EXPECT_EQ(tally.wrong, 0u);
  ASSERT_EQ(tally.recovered, tally.expected);
  std::printf(
      "flipped all %zu index and metadata pages: recovered %zu/%zu values; %zu deleted keys came "
      "back (deletes live only in the index)\n",
      flipped, tally.recovered, tally.expected, tally.resurrected);
}

// Puts acknowledged after the last superblock lie past their extents' persisted write pointers,
// on the chains recovery follows: salvage's census follows them too, and a rebuild with the
// whole index destroyed brings them back.
TEST(SalvageTest, RecoversPutsPastThePersistedWritePointer) {
  MemDisk disk(kGeometry);
  std::map<std::string, History> history = BuildImage(&disk, 17);
  {
    auto store = Store::Open(Options(&disk));
    ASSERT_TRUE(store.ok());
    Random random(18);
    for (int i = 0; i < 6; ++i) {
      const std::string key = "tail/" + std::to_string(i);
      History& h = history[key];
      h.values.push_back(Value(random, i % 2 ? 100 : kChunkPayload + 1));
      StatusOr<Dependency> put = (*store)->Put(key, h.values.back());
      ASSERT_TRUE(put.ok());
      ASSERT_TRUE(put->Wait().ok());  // durable: one flush, no superblock
    }
  }
  disk.CrashLosingAll();
  EXPECT_GT(FlipEveryIndexPage(&disk), 0u);
  ASSERT_FALSE(Store::Open(Options(&disk, /*read_only=*/true)).ok());
  StatusOr<SalvageReport> report = SalvageImage(Salvage(&disk));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const Tally tally = Count(&disk, history);
  EXPECT_EQ(tally.wrong, 0u);
  EXPECT_EQ(tally.recovered, tally.expected);
}

// A rebuild of a healthy image (forced) reproduces it exactly, deletes included: the complete
// index decides every key, even those whose tombstones compaction dropped while their data
// chunks remain.
TEST(SalvageTest, ForcedRebuildOfAHealthyImageChangesNoKey) {
  MemDisk disk(kGeometry);
  const std::map<std::string, History> history = BuildImage(&disk, 16);
  SalvageOptions options = Salvage(&disk);
  StatusOr<SalvageReport> untouched = SalvageImage(options);
  ASSERT_TRUE(untouched.ok());
  EXPECT_TRUE(untouched->index_loaded);
  EXPECT_FALSE(untouched->rebuilt);
  options.force = true;
  StatusOr<SalvageReport> report = SalvageImage(options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->rebuilt);
  EXPECT_FALSE(report->deletes_may_be_lost);
  EXPECT_GT(report->complete_index_version, 0u);
  EXPECT_EQ(report->recovered_unconfirmed, 0u);
  const Tally tally = Count(&disk, history);
  EXPECT_EQ(tally.recovered, tally.expected);
  EXPECT_EQ(tally.resurrected, 0u);
  EXPECT_EQ(tally.wrong, 0u);
}

TEST(SalvageTest, CheckAndDryRunWriteNothing) {
  MemDisk disk(kGeometry);
  BuildImage(&disk, 17);
  StatusOr<CheckReport> clean = CheckImage(&disk);
  ASSERT_TRUE(clean.ok());
  EXPECT_TRUE(clean->clean()) << clean->damage.size() << " " << clean->damage[0].what;
  EXPECT_TRUE(clean->index_loaded);
  EXPECT_EQ(clean->superblock_slots_valid, 2u);

  const std::vector<Locator> pages = IndexPages(&disk);
  Flip(&disk, pages.back(), 1);  // the metadata chunk, past its header
  const std::vector<Bytes> before = Image(disk);
  StatusOr<CheckReport> damaged = CheckImage(&disk);
  ASSERT_TRUE(damaged.ok());
  EXPECT_FALSE(damaged->index_loaded);
  ASSERT_EQ(damaged->damage.size(), 2u);  // the metadata chunk, then the index as a whole
  EXPECT_EQ(damaged->damage[0].kind, "index metadata chunk");
  EXPECT_EQ(damaged->damage[0].extent, pages.back().extent);
  EXPECT_EQ(damaged->damage[1].kind, "index");
  SalvageOptions options = Salvage(&disk);
  options.dry_run = true;
  StatusOr<SalvageReport> dry = SalvageImage(options);
  ASSERT_TRUE(dry.ok());
  EXPECT_FALSE(dry->rebuilt);
  EXPECT_GT(dry->recovered, 0u);
  EXPECT_TRUE(Image(disk) == before);
  EXPECT_FALSE(Store::Open(Options(&disk, /*read_only=*/true)).ok());
}

// With the index loaded, check tells a damaged chunk the store needs from a dead one.
TEST(SalvageTest, CheckSaysWhetherTheStoreNeedsADamagedChunk) {
  MemDisk disk(kGeometry);
  std::vector<LiveChunk> live;
  {
    auto store = Store::Open(Options(&disk));
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Put("old", AsBytes("first")).ok());
    ASSERT_TRUE((*store)->Flush().ok());
    live = StoreInternals(**store).LiveChunks();
    ASSERT_TRUE((*store)->Put("old", AsBytes("second")).ok());
    ASSERT_TRUE((*store)->Put("kept", AsBytes("value")).ok());
    ASSERT_TRUE((*store)->Shutdown().ok());
  }
  const Locator dead = live[0].locator;  // "old" = "first", overwritten since
  disk.CorruptByte(dead.extent, dead.offset + 100, 1);
  Locator needed;
  {
    auto store = Store::Open(Options(&disk, /*read_only=*/true));
    for (const LiveChunk& chunk : StoreInternals(**store).LiveChunks()) {
      if (chunk.key == "kept") needed = chunk.locator;
    }
  }
  disk.CorruptByte(needed.extent, needed.offset + 100, 1);
  StatusOr<CheckReport> report = CheckImage(&disk);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->index_loaded);
  ASSERT_EQ(report->damage.size(), 2u);
  for (const ImageDamage& damage : report->damage) {
    EXPECT_EQ(damage.kind, "data chunk");
    const bool is_needed = damage.offset == needed.offset && damage.extent == needed.extent;
    EXPECT_EQ(damage.key, is_needed ? "kept" : "old");
    EXPECT_EQ(damage.need, is_needed ? ImageDamage::Need::kLive : ImageDamage::Need::kDead);
  }
}

// Puts `key` twice (the second value spanning three chunks) and returns where each part of the
// newest value lies; the image's index is then destroyed (its metadata chunk flipped).
std::vector<Locator> TwoVersionsThenLoseTheIndex(MemDisk* disk, const Bytes& first,
                                                 const Bytes& second) {
  std::vector<Locator> parts;
  auto store = Store::Open(Options(disk));
  EXPECT_TRUE(store.ok());
  EXPECT_TRUE((*store)->Put("k", first).ok());
  EXPECT_TRUE((*store)->Flush().ok());
  EXPECT_TRUE((*store)->Put("k", second).ok());
  EXPECT_TRUE((*store)->Flush().ok());
  std::optional<Locator> root;
  for (const LiveChunk& chunk : StoreInternals(**store).LiveChunks()) {
    if (chunk.kind == LiveChunk::Kind::kData) parts.push_back(chunk.locator);
    if (chunk.kind == LiveChunk::Kind::kIndexMetadata) root = chunk.locator;
  }
  EXPECT_TRUE((*store)->Shutdown().ok());
  EXPECT_TRUE(root.has_value());
  if (root) disk->CorruptByte(root->extent, root->offset + root->length / 2, 1);
  return parts;
}

// The newest version with a damaged part is unrecoverable: salvage never falls back to the
// older, intact version it overwrote.
TEST(SalvageTest, NeverReturnsAnOlderValueWhenTheNewestIsDamaged) {
  MemDisk disk(kGeometry);
  Random random(3);
  const std::vector<Locator> parts =
      TwoVersionsThenLoseTheIndex(&disk, Value(random, 10), Value(random, 3 * kChunkPayload));
  ASSERT_EQ(parts.size(), 3u);
  disk.CorruptByte(parts[1].extent, parts[1].offset + 500, 1);
  StatusOr<SalvageReport> report = SalvageImage(Salvage(&disk));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->keys.size(), 1u);
  EXPECT_EQ(report->keys[0].fate, SalvagedKey::Fate::kUnrecoverable);
  EXPECT_NE(report->keys[0].reason.find("part 1 of 3"), std::string::npos)
      << report->keys[0].reason;
  auto store = Store::Open(Options(&disk));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_TRUE((*store)->Get("k").status().IsNotFound());
}

// Two intact chunks claiming one key, sequence and part with different bytes: the key is
// unrecoverable rather than guessed.
TEST(SalvageTest, ConflictingCopiesOfAPartAreUnrecoverable) {
  MemDisk disk(kGeometry);
  Random random(4);
  const Bytes second = Value(random, 300);
  const std::vector<Locator> parts = TwoVersionsThenLoseTheIndex(&disk, Value(random, 10), second);
  ASSERT_EQ(parts.size(), 1u);
  {
    auto chunks = ChunkStore::Open({&disk, 9});
    ASSERT_TRUE(chunks.ok());
    StatusOr<ChunkStore::Chunk> original = (*chunks)->Read(parts[0]);
    ASSERT_TRUE(original.ok());
    Bytes forged = second;
    forged[7] ^= 1;
    ASSERT_TRUE((*chunks)->Append(ExtentOwner::kData, original->header, "k", forged, {}).ok());
    ASSERT_TRUE((*chunks)->Flush().ok());
  }
  StatusOr<SalvageReport> report = SalvageImage(Salvage(&disk));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->keys.size(), 1u);
  EXPECT_EQ(report->keys[0].fate, SalvagedKey::Fate::kUnrecoverable);
  EXPECT_NE(report->keys[0].reason.find("different bytes"), std::string::npos)
      << report->keys[0].reason;
  // The same bytes twice (a Put retried after NoSpace, a copy left by an interrupted
  // reclamation) are one value.
  MemDisk twice(kGeometry);
  const std::vector<Locator> twice_parts =
      TwoVersionsThenLoseTheIndex(&twice, Value(random, 10), second);
  {
    auto chunks = ChunkStore::Open({&twice, 9});
    ASSERT_TRUE(chunks.ok());
    StatusOr<ChunkStore::Chunk> original = (*chunks)->Read(twice_parts[0]);
    ASSERT_TRUE(original.ok());
    ASSERT_TRUE((*chunks)->Append(ExtentOwner::kData, original->header, "k", second, {}).ok());
    ASSERT_TRUE((*chunks)->Flush().ok());
  }
  report = SalvageImage(Salvage(&twice));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->recovered, 1u);
  auto store = Store::Open(Options(&twice));
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(*(*store)->Get("k"), second);
}

// Random damage anywhere on the image (label, slots, data, index): check never writes, salvage
// returns an error or an image that opens, and every value it serves was once put for its key.
TEST(SalvageTest, RandomDamageNeverYieldsBytesNotPutForTheKey) {
  MemDisk disk(kGeometry);
  const std::map<std::string, History> history = BuildImage(&disk, 19);
  std::vector<uint32_t> written(kGeometry.extent_count, 0);
  {
    auto store = Store::Open(Options(&disk, /*read_only=*/true));
    ASSERT_TRUE(store.ok());
    written[0] = 3 * kPageBytes;  // label and slots
    for (const ExtentStat& e : (*store)->Stat().extents) {
      if (e.extent > 0) written[e.extent] = e.write_pointer;
    }
  }
  Random random(23);
  size_t rebuilt = 0, served = 0, refused = 0;
  // What a check could have changed: the bytes below each write pointer.
  auto written_bytes = [&](MemDisk& image) {
    std::vector<Bytes> bytes;
    for (uint32_t e = 0; e < kGeometry.extent_count; ++e) {
      bytes.emplace_back(written[e]);
      if (written[e] > 0) {
        EXPECT_TRUE(image.Read(e, 0, bytes.back()).ok());
      }
    }
    return bytes;
  };
  constexpr int kTrials = 24;
  for (int trial = 0; trial < kTrials; ++trial) {
    std::unique_ptr<MemDisk> copy = disk.Snapshot();
    const uint64_t flips = 1 + random.Next() % 12;
    for (uint64_t i = 0; i < flips; ++i) {
      // One flip in five hits the label or a superblock slot.
      const uint32_t extent = random.Next() % 5 == 0
                                  ? 0
                                  : static_cast<uint32_t>(random.Next() % kGeometry.extent_count);
      if (written[extent] == 0) continue;
      copy->CorruptByte(extent, static_cast<uint32_t>(random.Next() % written[extent]),
                        static_cast<uint8_t>(1 + random.Next() % 255));
    }
    const std::vector<Bytes> before = written_bytes(*copy);
    StatusOr<CheckReport> check = CheckImage(copy.get());
    EXPECT_TRUE(check.ok() || check.status().IsCorruption() || check.status().IsInvalidArgument())
        << check.status().ToString();
    ASSERT_TRUE(written_bytes(*copy) == before) << "check wrote to the disk";
    SalvageOptions options = Salvage(copy.get());
    options.force = true;
    StatusOr<SalvageReport> report = SalvageImage(options);
    if (!report.ok()) {
      EXPECT_TRUE(report.status().IsCorruption() || report.status().IsInvalidArgument())
          << report.status().ToString();
      ++refused;
      continue;
    }
    ASSERT_TRUE(report->rebuilt);
    ++rebuilt;
    auto store = Store::Open(Options(copy.get(), /*read_only=*/true));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    StatusOr<std::vector<std::string>> keys = (*store)->List();
    ASSERT_TRUE(keys.ok());
    for (const std::string& key : *keys) {
      StatusOr<Bytes> value = (*store)->Get(key);
      ASSERT_TRUE(value.ok()) << key << ": " << value.status().ToString();
      auto known = history.find(key);
      ASSERT_NE(known, history.end()) << key;
      const std::vector<Bytes>& values = known->second.values;
      EXPECT_NE(std::find(values.begin(), values.end(), *value), values.end()) << key;
      ++served;
    }
  }
  EXPECT_GT(rebuilt, 0u);
  std::printf(
      "random damage, %d images: %zu rebuilt (%zu values served, each once put for "
      "its key), %zu refused\n",
      kTrials, rebuilt, served, refused);
}

TEST(SalvageTest, RefusesAnImageWithoutAValidSuperblock) {
  MemDisk disk(kGeometry);
  BuildImage(&disk, 18);
  for (int slot : {0, 1}) {
    disk.CorruptByte(0, SuperblockSlotOffset(kGeometry.extent_count, slot) + 20, 1);
  }
  EXPECT_TRUE(SalvageImage(Salvage(&disk)).status().IsInvalidArgument());
  StatusOr<CheckReport> report = CheckImage(&disk);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->superblock_slots_valid, 0u);
  EXPECT_FALSE(report->clean());
}

}  // namespace
}  // namespace shardstore
