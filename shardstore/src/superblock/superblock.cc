#include "superblock/superblock.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "shardstore/limits.h"
#include "util/checksum.h"
#include "util/coding.h"

namespace shardstore {
namespace {

Status BadSuperblock(const std::string& what) { return Status::Corruption("superblock: " + what); }

}  // namespace

uint32_t SuperblockSlotBytes(uint32_t extent_count) {
  const uint64_t raw = uint64_t{kSuperblockHeaderBytes} +
                       uint64_t{extent_count} * kSuperblockEntryBytes + 8 /* checksum */;
  return static_cast<uint32_t>(coding::RoundUp(raw, kPageBytes));
}

uint32_t SuperblockSlotOffset(uint32_t extent_count, int slot) {
  SS_ASSERT(slot == 0 || slot == 1);
  return kPageBytes + static_cast<uint32_t>(slot) * SuperblockSlotBytes(extent_count);
}

Status CheckSuperblockFits(const DiskGeometry& geometry) {
  const uint64_t needed = kPageBytes + 2ull * SuperblockSlotBytes(geometry.extent_count);
  if (needed > geometry.extent_bytes) {
    return Status::InvalidArgument(
        "extent 0 (" + std::to_string(geometry.extent_bytes) + " bytes) cannot hold the label " +
        "and two superblock slots for " + std::to_string(geometry.extent_count) +
        " extents (needs " + std::to_string(needed) + "); use larger or fewer extents");
  }
  return Status::Ok();
}

// Label (page 0 of extent 0), little-endian:
//   0 magic u64 | 8 version u32 | 12 extent_count u32 | 16 extent_bytes u32 | 20 reserved u32 |
//  24 disk_uuid[16] | 40 checksum u64 (XXH3 of bytes 0..40) | zeros to the end of the page
Bytes EncodeLabel(const Label& label) {
  Bytes page(kPageBytes, 0);
  uint8_t* p = page.data();
  coding::Put64(p, kLabelMagic);
  coding::Put32(p + 8, label.version);
  coding::Put32(p + 12, label.geometry.extent_count);
  coding::Put32(p + 16, label.geometry.extent_bytes);
  std::memcpy(p + 24, label.disk_uuid.data(), label.disk_uuid.size());
  coding::Put64(p + 40, Checksum(ByteView(p, 40)));
  return page;
}

StatusOr<Label> DecodeLabel(ByteView page) {
  if (page.size() < kLabelBytes) return Status::Corruption("label: shorter than a label");
  const uint8_t* p = page.data();
  if (std::all_of(page.begin(), page.end(), [](uint8_t b) { return b == 0; })) {
    return Status::NotFound("blank disk: no shardstore label (format it first)");
  }
  if (coding::Get64(p) != kLabelMagic) {
    return Status::InvalidArgument("not a shardstore disk (no shardstore label in page 0)");
  }
  // Magic and version keep their place in every format version, so a newer disk is named as
  // such even if the rest of its label is laid out differently.
  const uint32_t version = coding::Get32(p + 8);
  if (version < kDiskFormatVersionOldest || version > kDiskFormatVersion) {
    return Status::InvalidArgument("disk format version " + std::to_string(version) +
                                   " is not supported (this build reads versions " +
                                   std::to_string(kDiskFormatVersionOldest) + " to " +
                                   std::to_string(kDiskFormatVersion) + ")");
  }
  if (coding::Get64(p + 40) != Checksum(page.first(40))) {
    return Status::Corruption("label: checksum mismatch");
  }
  if (coding::Get32(p + 20) != 0) return Status::Corruption("label: reserved bits set");
  Label label;
  label.version = version;
  label.geometry.extent_count = coding::Get32(p + 12);
  label.geometry.extent_bytes = coding::Get32(p + 16);
  std::memcpy(label.disk_uuid.data(), p + 24, label.disk_uuid.size());
  if (Status s = ValidateGeometry(label.geometry); !s.ok()) {
    return Status::Corruption("label: " + s.message());
  }
  if (Status s = CheckSuperblockFits(label.geometry); !s.ok()) {
    return Status::Corruption("label: " + s.message());
  }
  return label;
}

// Superblock slot, little-endian:
//   0 magic u64 | 8 version u32 | 12 entry_count u32 | 16 sequence u64 | 24 disk_uuid[16] |
//  40 extent_count u32 | 44 extent_bytes u32 | 48 next_chunk_sequence u64 |
//  56 has_index_root u32 | 60 root extent u32 | 64 root offset u32 | 68 root length u32 |
//  72 entries[entry_count] { write_pointer u32 | owner u8 | replay_from_pages u24 } |
//  checksum u64 (XXH3 of everything before it) | zeros to the end of the slot
Bytes EncodeSuperblock(const Superblock& sb) {
  SS_ASSERT(sb.extents.size() == sb.geometry.extent_count);
  Bytes out;
  out.reserve(SuperblockSlotBytes(sb.geometry.extent_count));
  coding::Writer w(&out);
  w.U64(kSuperblockMagic);
  w.U32(kDiskFormatVersion);
  w.U32(static_cast<uint32_t>(sb.extents.size()));
  w.U64(sb.sequence);
  w.Raw(sb.disk_uuid);
  w.U32(sb.geometry.extent_count);
  w.U32(sb.geometry.extent_bytes);
  w.U64(sb.next_chunk_sequence);
  const Locator root = sb.index_root.value_or(Locator{});
  w.U32(sb.index_root ? 1 : 0);
  w.U32(root.extent);
  w.U32(root.offset);
  w.U32(root.length);
  SS_ASSERT(out.size() == kSuperblockHeaderBytes);
  for (const ExtentRecord& e : sb.extents) {
    SS_ASSERT(e.replay_from <= e.write_pointer && e.replay_from % kPageBytes == 0);
    const uint32_t replay_from_pages = e.replay_from / kPageBytes;  // < 2^24: extents <= 1 GiB
    w.U32(e.write_pointer);
    w.U8(static_cast<uint8_t>(e.owner));
    w.U8(static_cast<uint8_t>(replay_from_pages));
    w.U16(static_cast<uint16_t>(replay_from_pages >> 8));
  }
  w.U64(Checksum(out));
  out.resize(SuperblockSlotBytes(sb.geometry.extent_count), 0);
  return out;
}

StatusOr<Superblock> DecodeSuperblock(ByteView slot, const Label& label) {
  coding::Reader r(slot);
  if (r.U64() != kSuperblockMagic) return BadSuperblock("bad magic");
  const uint32_t version = r.U32();
  const uint32_t entry_count = r.U32();
  if (entry_count != label.geometry.extent_count) {
    return BadSuperblock("entry count " + std::to_string(entry_count) + " does not match the " +
                         std::to_string(label.geometry.extent_count) + " extents of the label");
  }
  const size_t checksum_at = kSuperblockHeaderBytes + size_t{entry_count} * kSuperblockEntryBytes;
  if (slot.size() < checksum_at + 8) return BadSuperblock("truncated");
  if (coding::Get64(slot.data() + checksum_at) != Checksum(slot.first(checksum_at))) {
    return BadSuperblock("checksum mismatch");
  }
  if (version < kDiskFormatVersionOldest || version > kDiskFormatVersion) {
    return BadSuperblock("version " + std::to_string(version) + " is not supported");
  }
  Superblock sb;
  sb.sequence = r.U64();
  const ByteView uuid = r.Raw(16);
  if (!r.failed()) std::memcpy(sb.disk_uuid.data(), uuid.data(), uuid.size());
  sb.geometry.extent_count = r.U32();
  sb.geometry.extent_bytes = r.U32();
  sb.next_chunk_sequence = r.U64();
  const uint32_t has_root = r.U32();
  Locator root;
  root.extent = r.U32();
  root.offset = r.U32();
  root.length = r.U32();
  if (r.failed()) return BadSuperblock("truncated header");
  if (sb.disk_uuid != label.disk_uuid) {
    return BadSuperblock("belongs to another format of this disk (UUID mismatch)");
  }
  if (!(sb.geometry == label.geometry)) return BadSuperblock("geometry differs from the label");
  if (has_root > 1) return BadSuperblock("bad index root flag");
  const uint32_t extent_bytes = sb.geometry.extent_bytes;
  if (has_root == 1) {
    if (root.extent == 0 || root.extent >= entry_count || root.length == 0 ||
        root.offset % kPageBytes != 0 || root.length % kFrameAlignBytes != 0 ||
        root.end() > extent_bytes) {
      return BadSuperblock("index root " + root.ToString() + " is out of bounds");
    }
    sb.index_root = root;
  }
  sb.extents.resize(entry_count);
  for (uint32_t i = 0; i < entry_count; ++i) {
    ExtentRecord& e = sb.extents[i];
    e.write_pointer = r.U32();
    const uint8_t owner = r.U8();
    const uint8_t floor_low = r.U8();
    const uint16_t floor_high = r.U16();
    const uint64_t replay_from = ((uint64_t{floor_high} << 8) | floor_low) * kPageBytes;
    // Version 1 kept these bytes zero, and every acknowledged chunk was in the index.
    if (owner > kExtentOwnerMax || (version == 1 && replay_from != 0) ||
        replay_from > e.write_pointer) {
      return BadSuperblock("extent " + std::to_string(i) + " has a bad record");
    }
    e.replay_from = version == 1 ? e.write_pointer : static_cast<uint32_t>(replay_from);
    e.owner = static_cast<ExtentOwner>(owner);
    const bool is_superblock = e.owner == ExtentOwner::kSuperblock;
    if (is_superblock != (i == 0) || e.write_pointer > extent_bytes ||
        e.write_pointer % kPageBytes != 0 ||
        ((e.owner == ExtentOwner::kFree || is_superblock) && e.write_pointer != 0)) {
      return BadSuperblock("extent " + std::to_string(i) + " has an impossible owner " +
                           std::to_string(owner) + " or write pointer " +
                           std::to_string(e.write_pointer));
    }
  }
  if (sb.index_root && sb.index_root->end() > sb.extents[sb.index_root->extent].write_pointer) {
    return BadSuperblock("index root lies past its extent's write pointer");
  }
  if (r.failed()) return BadSuperblock("truncated entries");
  return sb;
}

}  // namespace shardstore
