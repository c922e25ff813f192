// Store: the shard store's public API — put, get, delete, list, compact and reclaim shards on
// one disk.
//
// A shard is a key (1 to kKeyBytesMax bytes) and a value (up to kValueBytesMax bytes), stored as
// one or more data chunks of at most `chunk_payload_bytes_max` payload bytes. The LSM index maps
// keys to the chunks' locators. Put and Delete return at once with a Dependency that becomes
// persistent when the change would survive a crash: the data chunks, the index run holding the
// entry, the index metadata listing that run, and the superblock naming that metadata are all
// durable. Flush() or Dependency::Wait() makes it so. Get and List see every change made so far.
//
// Space: extents are append-only, so overwritten and deleted values stay on disk until their
// extent is reclaimed: its live chunks are copied elsewhere, the index is updated durably, and
// only then is the extent reset. Put and Delete reclaim the emptiest extents by themselves when
// free extents run low, and an index flush or compaction that finds no room reclaims by force —
// but only extents whose reset frees at least 1/kReclaimFreedShareDivisor of them, so they copy
// at most kReclaimFreedShareDivisor - 1 live bytes per byte freed; Reclaim(extent) does one on
// demand, whatever it frees. Puts leave free extents enough for the index to be
// flushed, compacted and reclaimed, so a full disk can always be emptied by deletes. When
// nothing can be reclaimed, Put fails with NoSpace and every acknowledged change stays
// readable.
//
// Read-only: with `read_only` the store recovers as usual but writes nothing — no boot commit,
// no flush at Shutdown — so the disk's bytes stay exactly as they were and a crash in the middle
// cannot change them. Put, Delete, Flush, Compact and Reclaim fail with InvalidArgument; Get,
// List, Stat and Verify work. Another process must not write the disk meanwhile (FileDisk's
// shared lock sees to that).
//
// Store is an interface: Open returns the engine's implementation, whose internals (and the
// calls tools and checkers use to look at the medium) are private to the engine.
//
// Thread-safety: thread-safe. Readers (Get, List, Stat) share a lock; writers take it alone.
// Compact merges runs without the lock, so Puts and Gets go on meanwhile. Dependency::Wait()
// must not be called from inside a Store method.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shardstore/dependency.h"
#include "shardstore/disk.h"
#include "shardstore/limits.h"
#include "shardstore/locator.h"
#include "shardstore/status.h"
#include "shardstore/types.h"

namespace shardstore {

struct StoreOptions {
  Disk* disk = nullptr;          // REQUIRED; not owned; must outlive the Store
  bool format_if_blank = false;  // a blank disk is formatted only when asked
  bool read_only = false;        // recover without writing; see the top of this file
  uint64_t seed = 1;             // the only source of randomness (chunk UUIDs)
  // Largest payload of one chunk; a larger value spans several chunks. 0 picks
  // min(kChunkPayloadBytesDefault, extent_bytes / 4), so chunks pack well into extents.
  uint32_t chunk_payload_bytes_max = 0;
  uint32_t memtable_entries_max = 4096;  // index entries kept in memory before a flush
  uint32_t level0_runs_max = 6;          // flushed runs before the index is compacted
  // Bytes of verified chunk frames kept for Gets. Unset: DefaultReadCacheBytes(*disk).
  std::optional<uint64_t> read_cache_bytes;
  // Bytes of chunk frames that concurrent Gets may hold in memory at once; a Get waits for room
  // (a value larger than this takes all of it). At least one largest chunk frame.
  uint64_t read_buffer_bytes = 32ull << 20;
  // Put reclaims extents while this many or fewer extents are free (0 turns it off).
  uint32_t reclaim_free_extents_min = 4;
};

// The read cache a Store gets when StoreOptions leaves it unset: 8 MiB on a disk read through the
// kernel's page cache, which does the caching; an eighth of physical memory (at least 8 MiB) on
// a disk that bypasses it (O_DIRECT), where the store's cache is the only one.
uint64_t DefaultReadCacheBytes(const Disk& disk);

struct ExtentStat {
  uint32_t extent = 0;
  std::string owner;
  uint32_t write_pointer = 0;
  uint64_t live_bytes = 0;  // bytes of chunks the index (or its metadata) still needs
  uint64_t resets = 0;      // times reset since this Store opened (write pointer back to 0)
  bool open = false;        // its owner's new chunks go here; reclamation passes it over
};

struct LevelStat {
  uint32_t level = 0;
  uint32_t runs = 0;
  uint64_t entries = 0;
};

struct StoreStat {
  DiskGeometry geometry;
  uint64_t superblock_sequence = 0;
  uint64_t keys = 0;
  uint64_t live_bytes = 0;
  uint64_t reclaimable_bytes = 0;  // written but no longer needed, in non-free extents
  uint32_t free_extents = 0;
  // Free extents a Put leaves to the index and to reclamation: kPutKeepFreeExtents, plus one per
  // extent's worth of index beyond the first (so a compaction can always rewrite it).
  uint32_t put_reserve_extents = 0;
  uint64_t memtable_entries = 0;
  std::vector<LevelStat> levels;
  std::vector<ExtentStat> extents;
  uint64_t extents_reclaimed = 0;  // by this Store object
  // Reclamation the store started by itself (in the background, by force, dead extents; not
  // Reclaim(extent)), by this Store object: live bytes it copied, and room it freed (each extent
  // it reset, less what it copied out of it). It reclaims an extent only when that frees at least
  // 1/kReclaimFreedShareDivisor of it, so copied <= (kReclaimFreedShareDivisor - 1) * freed, but
  // for copies of a reclamation that failed (an IO error) and was not finished.
  uint64_t reclaim_copied_bytes = 0;
  uint64_t reclaim_freed_bytes = 0;
};

class Store {
 public:
  // Formats `disk`: every extent free, everything it held is gone.
  static Status Format(Disk* disk, uint64_t seed);
  // OK when Format would accept `geometry`: page-aligned extents within limits.h's bounds, room
  // in extent 0 for the superblock, and enough extents that a Put fits beside the free-extent
  // reserves (kFormatExtentCountMin). Checks nothing on any disk.
  static Status CheckGeometry(const DiskGeometry& geometry);
  // The geometry an image records in its label — its first kPageBytes — read before the
  // geometry is known (to open a FileDisk of the right shape). An error when `first_page` is
  // not a shardstore label (another format, a damaged label, a short read). Reads nothing else.
  static StatusOr<DiskGeometry> ImageGeometry(ByteView first_page);
  // Opens (recovers) the store on options.disk. InvalidArgument for a blank disk (unless
  // format_if_blank, which a read_only open refuses), a disk of another format or version, or a
  // geometry mismatch; Corruption when no valid superblock survives or the index does not
  // verify; IOError when the boot commit cannot be written (never tried when read_only).
  static StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options);

  // Abandons changes that are not yet persistent, as a crash would: their Dependencies fail.
  // Use Shutdown() to close cleanly.
  virtual ~Store();

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  virtual StatusOr<Dependency> Put(std::string_view key, ByteView value) = 0;
  // NotFound when the key has no value.
  virtual StatusOr<Bytes> Get(std::string_view key) = 0;
  // Deleting a key whose absence is already durable succeeds with a persistent Dependency;
  // otherwise (a value, or a delete not yet durable) it writes a tombstone.
  virtual StatusOr<Dependency> Delete(std::string_view key) = 0;
  // Every key with a value, in ascending byte order.
  virtual StatusOr<std::vector<std::string>> List() = 0;

  // Makes every change so far persistent. IOError when some write failed since the last Flush
  // (its Dependency says which); the store keeps serving.
  virtual Status Flush() = 0;
  // Merges the index's runs into one, dropping overwritten entries and tombstones. The merge
  // runs without the store lock; runs flushed meanwhile stay above the result. If the runs it
  // merged were rewritten meanwhile (reclamation moved them), it gives up: OK, nothing changed.
  virtual Status Compact() = 0;
  // Copies the live chunks of `extent` elsewhere, makes the index update durable, and resets
  // the extent. InvalidArgument for extent 0 or a free extent; Corruption (extent untouched)
  // when a chunk that is still needed cannot be read.
  virtual Status Reclaim(uint32_t extent) = 0;
  // Checks what the store holds against what the disk holds: reads every chunk the index names,
  // and the index's own runs and metadata, from the disk (bypassing the read cache). OK, or the
  // first Corruption or IOError found. Costs a read of every live byte.
  virtual Status Verify() = 0;
  // Refuses further calls, then flushes. After a successful Shutdown every Dependency this store
  // returned is persistent. A read-only store only refuses further calls.
  virtual Status Shutdown() = 0;

  virtual StoreStat Stat() = 0;

 protected:
  Store() = default;
};

}  // namespace shardstore
