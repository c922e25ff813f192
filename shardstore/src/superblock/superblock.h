// The label and the superblock: the roots of a shardstore disk, in extent 0.
//
// Extent 0 holds, in order: the label (page 0), superblock slot 0, superblock slot 1. The label
// is written once, at format, and names the disk's geometry and its random UUID. The superblock
// is rewritten on every group commit, alternating between the two slots; each copy carries a
// sequence number and a checksum, and the newest valid copy wins at recovery, so a torn write of
// either slot loses at most the update being written. A superblock holds, for every extent, its
// owner, the persisted write pointer and the replay floor, plus the next chunk sequence number
// and the locator of the index root. The grammar is in docs/format/superblock.md.
//
// Format version 2 added the replay floor: data chunks between an extent's replay floor and its
// write pointer are not in the index the root names yet, and recovery replays them into the
// memtable. Version 1 disks (no floors: every acknowledged Put was in the index) are read as if
// each floor stood at its write pointer.
//
// Format version 3 keeps the version 2 layout and changes what a write pointer promises: a data
// extent's persisted write pointer is where recovery starts following the extent's chain of
// frames (chunkstore/tail_chain.h), not where its durable chunks end, so a Put is durable with
// its data. A build that reads only versions 1 and 2 would stop at the pointer and lose Puts, so
// a writable open upgrades an older label to version 3 before it writes anything.
//
// Format version 4 keeps the layout again and changes the chunks: frames (chunk format version
// 3) end on 8-byte multiples, small data frames share pages, and locators (the index root's
// length too) are 8-byte multiples rather than page multiples. Write pointers and replay floors
// stay in whole pages. A build that reads only version 3 would miss frames packed behind others,
// so a writable open upgrades the label to version 4 first.
//
// Decoders treat their input as hostile: any inconsistency is an error Status, never a crash.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "chunk/chunk_format.h"
#include "extent/extent_table.h"
#include "shardstore/disk.h"
#include "shardstore/locator.h"
#include "shardstore/status.h"

namespace shardstore {

inline constexpr uint64_t kLabelMagic = 0x6c62616c64726873ull;       // "shrdlabl"
inline constexpr uint64_t kSuperblockMagic = 0x7270757364726873ull;  // "shrdsupr"
inline constexpr uint32_t kDiskFormatVersion = 4;                    // what this build writes
inline constexpr uint32_t kDiskFormatVersionOldest = 1;              // the oldest it reads
inline constexpr uint32_t kLabelBytes = 48;
inline constexpr uint32_t kSuperblockHeaderBytes = 72;
inline constexpr uint32_t kSuperblockEntryBytes = 8;

struct Label {
  DiskGeometry geometry;
  Uuid disk_uuid{};
  uint32_t version = kDiskFormatVersion;  // as read; EncodeLabel writes it
  friend bool operator==(const Label&, const Label&) = default;
};

struct ExtentRecord {
  ExtentOwner owner = ExtentOwner::kFree;
  uint32_t write_pointer = 0;
  // Data chunks in [replay_from, write_pointer) are not in the index yet: recovery replays them.
  // A page multiple, at most write_pointer.
  uint32_t replay_from = 0;
  friend bool operator==(const ExtentRecord&, const ExtentRecord&) = default;
};

struct Superblock {
  Uuid disk_uuid{};
  uint64_t sequence = 0;
  DiskGeometry geometry;
  uint64_t next_chunk_sequence = 1;
  std::optional<Locator> index_root;
  std::vector<ExtentRecord> extents;  // one per extent
  friend bool operator==(const Superblock&, const Superblock&) = default;
};

// Bytes of one superblock slot on a disk of `extent_count` extents, a page multiple.
uint32_t SuperblockSlotBytes(uint32_t extent_count);
// Offset of slot 0 or 1 inside extent 0.
uint32_t SuperblockSlotOffset(uint32_t extent_count, int slot);
// InvalidArgument when the label and both slots do not fit in extent 0.
Status CheckSuperblockFits(const DiskGeometry& geometry);

// One page.
Bytes EncodeLabel(const Label& label);
// NotFound for an all-zero page (a blank disk); InvalidArgument for another format or version;
// Corruption for a damaged label.
StatusOr<Label> DecodeLabel(ByteView page);

// SuperblockSlotBytes(extents.size()) bytes. REQUIRES: extents.size() == geometry.extent_count.
Bytes EncodeSuperblock(const Superblock& superblock);
// Decodes a slot (format version 1 or 2) and checks it belongs to the disk `label` describes.
// Corruption otherwise.
StatusOr<Superblock> DecodeSuperblock(ByteView slot, const Label& label);

}  // namespace shardstore
