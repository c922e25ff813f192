// ChunkStore: the storage layer — appends chunks to extents, reads them back, and recovers.
//
// ChunkStore ties together the extent table (owners, write pointers, allocation), the IO
// scheduler (dependency order, coalescing, flush) and the superblock (group commit). An append
// returns the chunk's Locator and a Dependency that is persistent once the chunk survives any
// crash: for a data or tombstone chunk, once its bytes (and every earlier append to its extent)
// are durable and a superblock recording the extent as allocated is too — one flush, but for
// the first chunk of an extent; for an index chunk, once a superblock whose write pointer covers
// it is durable as well.
//
// Open() is recovery: it reads the label and the newest valid superblock, restores owners and
// write pointers, follows each data extent's chain of frames past its persisted write pointer
// (chunkstore/tail_chain.h), and makes a new superblock recording the chains' ends durable (the
// boot commit) before any append. Nothing else past a persisted write pointer is ever read:
// those bytes may be stale or torn, and the next append overwrites them. A `read_only` open
// recovers the same way but makes no boot commit and writes nothing: Append and Reset fail with
// InvalidArgument.
//
// Replay floors: each data extent's chunks from its replay floor up to its write pointer were
// appended after the index the root names was flushed, so recovery replays them (Store::Open).
// The floors move with the index root (SetIndexRoot) and drop to 0 when an extent is reset; the
// superblock persists them beside the write pointers.
//
// Reset(extent) rewinds an extent so it can be reused. Appends to the extent afterwards wait for
// the superblock that records the reset, so a crash can never pair an old write pointer with new
// bytes.
//
// Thread-safety: thread-safe; one internal mutex. Reads (ReadChunk, Scan) release it across the
// disk read, and Scan calls its visitors without it (they may call back into the ChunkStore).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chunk/chunk_format.h"
#include "chunkstore/read_cache.h"
#include "chunkstore/tail_chain.h"
#include "extent/extent_table.h"
#include "io/io_scheduler.h"
#include "shardstore/dependency.h"
#include "shardstore/disk.h"
#include "shardstore/locator.h"
#include "shardstore/random.h"
#include "shardstore/sync.h"
#include "superblock/superblock.h"

namespace shardstore {

// Where a data extent's replay floor stood when an index flush took the memtable: every data
// chunk below it is in that flush's run or an older one. `resets` tells a floor taken before the
// extent's reset (then stale) from one taken after.
struct ReplayFloor {
  uint32_t extent = 0;
  uint32_t offset = 0;
  uint64_t resets = 0;
};
// The floors of every data extent that had any: an extent not listed, or reset since, was free
// then or holds only chunks appended since, so its floor is 0.
using ReplayFloors = std::vector<ReplayFloor>;

struct ChunkStoreOptions {
  Disk* disk = nullptr;  // REQUIRED; not owned; outlives the ChunkStore
  uint64_t seed = 1;     // seeds chunk UUIDs (mixed with this boot's superblock sequence)
  bool format_if_blank = false;
  uint64_t read_cache_bytes = 8ull << 20;
  bool read_only = false;  // recover without writing anything; appends and resets refused
};

class ChunkStore final : private CommitSource {
 public:
  // Writes a fresh label and superblock: every extent free. Destroys what the disk held.
  static Status Format(Disk* disk, uint64_t seed);
  static StatusOr<std::unique_ptr<ChunkStore>> Open(const ChunkStoreOptions& options);
  // Writes that are not yet persistent are abandoned (their Dependencies fail); call Flush()
  // first for a clean close.
  ~ChunkStore() override;

  struct Appended {
    Locator locator;
    // Persistent when the chunk survives a crash (above): what a caller reports to its client.
    Dependency dependency;
    // Persistent when the chunk's bytes are durable: enough to order a later write that refers
    // to it, when a superblock issued after that later write covers both.
    Dependency written;
  };
  // Appends one chunk to the open extent of `owner` once `after` is persistent. `header` gives
  // kind, sequence and part; its UUID is drawn here. NoSpace when the open extent is full and
  // opening another would leave fewer than `keep_free_extents` free extents.
  // A data chunk of up to kPackFrameBytesMax that waits for nothing is packed behind the frame
  // queued before it, when that one is not issued yet.
  StatusOr<Appended> Append(ExtentOwner owner, ChunkHeader header, std::string_view key,
                            ByteView payload, Dependency after, uint32_t keep_free_extents = 0);

  struct Chunk {
    ChunkHeader header;
    std::string key;
    Bytes payload;
  };
  // Reads and verifies the chunk at `locator`: Corruption if the bytes there are not that
  // chunk, IOError if they could not be read or were never written.
  StatusOr<Chunk> Read(const Locator& locator) { return CopyOut(ReadChunk(locator, true)); }
  // Read from the disk (or the write queue), neither using nor filling the read cache.
  StatusOr<Chunk> ReadUncached(const Locator& locator) {
    return CopyOut(ReadChunk(locator, /*use_cache=*/false));
  }
  // As Read, without copying: the verified frame itself, shared with the read cache (its
  // payload is the only copy a Get then makes). Valid for as long as the caller holds it,
  // whatever happens to the extent meanwhile.
  using FrameRef = std::shared_ptr<const CachedChunk>;
  StatusOr<FrameRef> ReadFrame(const Locator& locator) { return ReadChunk(locator, true); }
  // The bytes a read of the chunk at `locator` holds: the whole pages it lies in.
  static uint64_t ReadBytes(const Locator& locator);

  // Calls visit for every whole, valid chunk below `extent`'s write pointer, in offset order,
  // stepping page by page over bytes that hold no frame (torn or foreign). A frame whose header
  // verifies but whose body or trailer does not is damaged: it goes to `damaged` (if given) with
  // its verified header and its key (the header checksum covers it), and the scan steps over
  // the whole frame the header describes.
  // Starts at `from` (a page multiple) rather than the extent's start when given. The disk is
  // read, and the visitors called, without the chunk store's mutex: appends elsewhere go on
  // meanwhile. REQUIRES: nothing resets `extent` during the scan (Corruption if it happens).
  using ScanVisitor = std::function<void(const Locator&, const ChunkView&)>;
  using DamagedVisitor =
      std::function<void(const Locator&, const ChunkHeader&, std::string_view key, const Status&)>;
  Status Scan(uint32_t extent, const ScanVisitor& visit, const DamagedVisitor& damaged = {},
              uint32_t from = 0);

  // Rewinds `extent` to offset 0 and frees it; the returned Dependency is the superblock update
  // that records it. IOError (extent unchanged) when its pending writes cannot be settled.
  // REQUIRES: nothing live remains in the extent.
  StatusOr<Dependency> Reset(uint32_t extent);
  ExtentOwner owner(uint32_t extent) const;

  // A fresh engine-wide sequence number (for ordering versions of a key).
  uint64_t NextSequence();
  // At recovery: sequence numbers handed out from now on exceed `sequence`.
  void SequenceAbove(uint64_t sequence);

  // Every data extent's write pointer now (appends not yet durable included), rounded up to a
  // page: the replay floors for an index flush that takes the memtable now. The next frame of
  // each extent starts on a page at or past its floor (none is packed into the write queued
  // last).
  ReplayFloors SnapshotReplayFloors();
  // The floors of the newest index root set (or recovered): what a root that moves no floor
  // (a compaction, a rollback) passes on.
  ReplayFloors CurrentReplayFloors() const;
  // Where recovery starts replaying `extent`: its persisted replay floor (never past its write
  // pointer).
  uint32_t replay_from(uint32_t extent) const;

  // Makes `root` the index root, with `floors` the replay floors, recorded by the first
  // superblock issued after `after` is persistent; returns that superblock's Dependency. Roots
  // must be set in an order where each one's `after` implies the previous one's. A nullopt root
  // names no index. REQUIRES: root lies in a metadata extent.
  Dependency SetIndexRoot(const std::optional<Locator>& root, ReplayFloors floors,
                          Dependency after);
  // The newest index root: the last one set, or else the one of the superblock this store
  // opened from or last produced.
  std::optional<Locator> index_root() const;

  // No more appends to `extent` (it is about to be reclaimed).
  void Seal(uint32_t extent);

  // Issues and flushes everything queued, then a superblock recording every write pointer if the
  // newest durable one lags (data chunks are persistent without one). OK means every append so
  // far is persistent and inside its extent's persisted write pointer; IOError when some write
  // failed since the last Flush.
  Status Flush();

  // ---- Introspection ----
  DiskGeometry geometry() const { return table_.geometry(); }
  struct ExtentInfo {
    ExtentOwner owner;
    // Soft (appends not yet durable included), in the whole pages its frames use: the last
    // frame's page is full once its write is issued, and a reboot resumes on the next page.
    uint32_t write_pointer;
    uint64_t resets;  // times reset since this ChunkStore opened
  };
  std::vector<ExtentInfo> Extents() const;
  // Forgets every cached chunk: the next read of each goes to the disk (or the write queue).
  void DropReadCache();
  // Extents owned by `owner`, ascending.
  std::vector<uint32_t> ExtentsOwnedBy(ExtentOwner owner) const;
  uint32_t free_extents() const;
  // True when `extent` is some owner's open extent (appends go there).
  bool IsOpen(uint32_t extent) const;
  uint64_t superblock_sequence() const;
  IoScheduler::Stats io_stats() const;

 private:
  ChunkStore(Disk* disk, const Label& label, const Superblock& superblock, int superblock_slot,
             const std::vector<ChainEnd>& chains, const ChunkStoreOptions& options);

  // Makes a superblock with a fresh sequence durable before any append, and seeds UUIDs from it.
  Status BootCommit();
  Status CheckWritable() const;
  PageWrite ProduceCommit() override;
  // The write pointer a superblock produced now records for `extent`.
  uint32_t RecordedPointer(uint32_t extent) const;
  void CommitSettled(bool durable) override;

  // The disk read and the frame's verification run without the mutex: concurrent reads overlap.
  StatusOr<FrameRef> ReadChunk(const Locator& locator, bool use_cache);
  static StatusOr<Chunk> CopyOut(StatusOr<FrameRef> frame);
  // The superblock in `commits` that records a change to `extent` (its reset, in
  // reset_dependencies_; a data extent's allocation, issued once its first frame is durable, in
  // allocation_dependencies_), or none once one is durable.
  Dependency RecordingCommit(std::map<uint32_t, Dependency>& commits, uint32_t extent);

  Disk* const disk_;
  const Label label_;
  const bool read_only_;
  mutable sync::Mutex mu_;
  ExtentTable table_;
  Random random_;
  uint64_t next_sequence_;
  std::optional<Locator> index_root_;
  std::vector<uint32_t> replay_from_;        // per extent, with index_root_
  std::vector<uint32_t> next_link_;          // per data extent: the link its next frame carries
  std::vector<uint32_t> durable_pointers_;   // per extent, as the newest durable superblock has
  std::vector<uint32_t> produced_pointers_;  // per extent, as the last superblock produced has
  struct PendingRoot {
    std::optional<Locator> root;
    ReplayFloors floors;
    Dependency after;
  };
  std::deque<PendingRoot> pending_roots_;
  uint64_t durable_superblock_sequence_;
  int durable_superblock_slot_;
  uint64_t produced_superblock_sequence_ = 0;
  std::map<uint32_t, Dependency> reset_dependencies_;
  std::map<uint32_t, Dependency> allocation_dependencies_;
  bool chains_past_pointers_ = false;  // recovery followed some chain past its pointer
  uint64_t failed_writes_reported_ = 0;
  ReadCache cache_;
  // Last: destroyed first, while everything it calls back into is still alive.
  IoScheduler scheduler_;
};

}  // namespace shardstore
