// ImageCensus: what an image holds, found by reading it without its index.
//
// TakeImageCensus reads the label and both superblock slots, keeps the newest valid slot, and
// walks every owned extent from offset 0 to its persisted write pointer (a data extent on along
// its chain of frames past it, as recovery does: chunkstore/tail_chain.h) with the chunk frame
// decoders, as ChunkStore::Scan does: a page whose header verifies starts a frame and the walk
// jumps the whole frame (intact or damaged); any other page is stepped over. It records every
// intact frame, every damaged frame (its header verified, its body or trailer not), every run of
// pages where no frame starts, and every window the disk could not read. It only ever calls
// Disk::Read. Nothing past a write pointer (or a chain's end) is looked at: those bytes may be
// stale or torn.
//
// Without a valid superblock nothing is scanned (owners and write pointers are unknown, and
// stale bytes past a reset could not be told from live ones).
//
// Thread-safety: a value; TakeImageCensus needs the disk to itself.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chunk/chunk_format.h"
#include "extent/extent_table.h"
#include "shardstore/disk.h"
#include "shardstore/locator.h"
#include "shardstore/status.h"
#include "superblock/superblock.h"

namespace shardstore {

struct CensusChunk {
  Locator locator;
  ExtentOwner owner = ExtentOwner::kFree;  // of the extent it lies in
  ChunkHeader header;
  uint64_t body_checksum = 0;  // as the header records it: equal for equal key and payload
  std::string key;
  Bytes payload;  // kept for index run and metadata chunks only (data stays on the disk)
};

struct CensusDamage {
  enum class Kind : uint8_t {
    kFrame,      // header verified, body or trailer not: `header` and `key` are trustworthy
    kNoFrame,    // pages below the write pointer where no frame header verifies
    kUnreadable  // Disk::Read failed
  };
  Kind kind = Kind::kFrame;
  Locator range;  // kFrame: the frame; otherwise the pages
  ExtentOwner owner = ExtentOwner::kFree;
  ChunkHeader header;          // kFrame only
  uint64_t body_checksum = 0;  // kFrame only: what the body should hash to
  std::string key;             // kFrame only
  Status error;
};

struct ImageCensus {
  Label label;
  std::array<Status, 2> slot_status;     // why a slot is not valid (OK when it is)
  std::optional<Superblock> superblock;  // the newest valid slot
  std::vector<CensusChunk> chunks;       // intact frames, by extent then offset
  std::vector<CensusDamage> damage;      // by extent then offset
  uint32_t extents_scanned = 0;
  uint64_t bytes_scanned = 0;
};

// Corruption or InvalidArgument when the label is damaged, blank or foreign; IOError when the
// label or a slot cannot be read. Unreadable extents are recorded, not returned.
StatusOr<ImageCensus> TakeImageCensus(Disk* disk);

// The name CheckImage and salvage reports use for a chunk kind ("data chunk", ...).
std::string ChunkKindName(ChunkKind kind);

}  // namespace shardstore
