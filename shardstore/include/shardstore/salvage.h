// Check and salvage: examining an image without trusting its index, and rebuilding the index
// from the data chunks when it is damaged.
//
// Every data chunk describes itself: its verified header names the shard key, the value's
// sequence, and the part it holds (docs/format/chunk.md). So the index and its metadata are
// redundant with the data, except for deletes, which live only in the index (a tombstone entry;
// no chunk is written) and for which version of a key the index chose.
//
// CheckImage reads everything and writes nothing: the label, both superblock slots, and every
// frame below each owned extent's write pointer; then it loads the index (read-only) and marks
// which damage the store still needs. It works when the index cannot be loaded.
//
// SalvageImage rebuilds the index: it scans every extent as CheckImage does, decides one fate per
// key from the evidence that survived (data chunks, damaged chunks whose header still verifies,
// and every index run and metadata chunk still intact, live or dead), and writes a fresh index
// (one run, new metadata, a superblock naming it) after everything else, so the image opens
// normally. It never guesses: a key whose newest known version has a part missing, damaged, or
// stored twice with different bytes is reported unrecoverable and left out, never served with
// an older value. The fate rules and what cannot be recovered: docs/salvage.md.
//
// Thread-safety: both take the disk to themselves; nothing else may use it meanwhile (FileDisk's
// lock sees to that across processes). CheckImage never writes to the disk.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shardstore/disk.h"
#include "shardstore/status.h"

namespace shardstore {

// One damaged place on the image.
struct ImageDamage {
  enum class Need : uint8_t {
    kUnknown,  // the index could not be loaded, or it says nothing about this place
    kLive,     // the store needs these bytes: a value, an index run or the metadata is affected
    kDead,     // garbage the index no longer names: harmless until reclaimed
  };
  uint32_t extent = 0;
  uint32_t offset = 0;
  uint32_t bytes = 0;  // 0 when the damage is not a byte range (the index as a whole)
  // "label", "superblock slot N", "data chunk", "index run chunk", "index metadata chunk",
  // "tombstone chunk", "no frame" (pages below the write pointer where no frame starts),
  // "unreadable", "index".
  std::string kind;
  std::string key;   // the shard key, when a verified header or the index names one
  std::string what;  // what is wrong
  Need need = Need::kUnknown;
};

struct CheckReport {
  DiskGeometry geometry;
  uint32_t superblock_slots_valid = 0;  // 0, 1 or 2
  uint64_t superblock_sequence = 0;     // of the newest valid slot
  uint32_t extents_scanned = 0;
  uint64_t bytes_scanned = 0;
  uint64_t chunks_intact = 0;
  bool index_loaded = false;
  uint64_t keys = 0;                // when the index loaded
  std::vector<ImageDamage> damage;  // in extent and offset order; the index last

  bool clean() const { return damage.empty(); }
};

// Examines the image on `disk` and reports every damaged place. Writes nothing. An error only
// when the image cannot be examined at all: the label cannot be read or is not a shardstore
// label for this geometry (the label's own damage is a Corruption error, not a report).
StatusOr<CheckReport> CheckImage(Disk* disk);

struct SalvageOptions {
  Disk* disk = nullptr;  // REQUIRED; not owned
  bool dry_run = false;  // decide and report, write nothing
  // Rebuild even when the index loads (by default an image whose index loads is left alone:
  // the index is then the better record, deletes included).
  bool force = false;
  uint64_t seed = 1;  // chunk UUIDs of the rebuilt index
  // The size the rebuilt run is split into; 0 picks the Store's default for the geometry.
  uint32_t chunk_payload_bytes_max = 0;
};

// What salvage decided for one key.
struct SalvagedKey {
  enum class Fate : uint8_t {
    kRecovered,      // in the rebuilt index with its value
    kDeleted,        // a surviving tombstone, or a complete surviving index without the key
    kUnrecoverable,  // left out: see `reason`
  };
  std::string key;
  Fate fate = Fate::kRecovered;
  uint64_t sequence = 0;     // the version recovered or deleted; the newest seen otherwise
  uint64_t value_bytes = 0;  // kRecovered
  uint32_t parts = 0;        // kRecovered
  // kRecovered: a surviving index run or complete index names this very version. When false
  // the version is known from its data chunks alone; a delete of the key made after the
  // newest surviving index would not be known (see docs/salvage.md).
  bool confirmed = false;
  std::string reason;  // why, for kDeleted and kUnrecoverable
};

struct SalvageReport {
  bool index_loaded = false;  // the index loaded before salvage: nothing was rebuilt unless forced
  bool rebuilt = false;       // a new index was written (not for a dry run)
  uint32_t extents_scanned = 0;
  uint64_t data_chunks_intact = 0;
  uint64_t data_chunks_damaged = 0;
  uint64_t index_runs_usable = 0;    // distinct runs found whole, decoded (live or dead)
  uint64_t index_runs_unusable = 0;  // runs with a part missing, damaged or ambiguous
  // The newest index metadata whose every run survived: below its horizon it decides each
  // key's fate, deletes included. 0 when none survived.
  uint64_t complete_index_version = 0;
  uint64_t complete_index_horizon = 0;  // the highest sequence it holds
  // Some of the index newer than the complete index (or all of it, when none is complete) did
  // not survive: a key deleted there, whose tombstone is lost, comes back with its last value.
  bool deletes_may_be_lost = false;
  std::vector<SalvagedKey> keys;  // every key any evidence names, in key order
  uint64_t recovered = 0;
  uint64_t recovered_unconfirmed = 0;
  uint64_t deleted = 0;
  uint64_t unrecoverable = 0;
  // What limits the result: unreadable ranges in data extents, runs that could not be used,
  // deletes that may not be known.
  std::vector<std::string> notes;
};

// Rebuilds the index of the image on `options.disk` from its chunks (see the top of this file).
// Writes only new chunks at the write pointers and superblocks, as the engine does, so a crash
// midway leaves the image as it was or salvaged; run it again. InvalidArgument when no valid
// superblock survives (it says which extents hold data and how far); Corruption when the label
// is damaged; NoSpace when there is no room for the rebuilt index; IOError on a failed write.
StatusOr<SalvageReport> SalvageImage(const SalvageOptions& options);

}  // namespace shardstore
