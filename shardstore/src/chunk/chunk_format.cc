#include "chunk/chunk_format.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "hooks/coverage_site.h"
#include "hooks/seeded_bug_site.h"
#include "shardstore/limits.h"
#include "util/checksum.h"
#include "util/coding.h"

namespace shardstore {
namespace {

// Header layout (little-endian), kChunkHeaderBytes in all:
//   0 magic u64 | 8 uuid[16] | 24 version u8 | 25 kind u8 | 26 reserved u16 | 28 key_bytes u32 |
//  32 payload_bytes u32 | 36 part_index u32 | 40 part_count u32 | 44 link u32 (version 1: reserved)
//  | 48 sequence u64 | 56 body_checksum u64 | 64 header_checksum u64
// header_checksum = XXH3(bytes [0, 64) ++ key); body_checksum = XXH3(key ++ payload ++ padding).
static_assert(kKeyBytesMax + kChunkHeaderBytes <= kPageBytes, "a frame's first page holds its key");
constexpr size_t kBodyChecksumAt = 56;
constexpr size_t kHeaderChecksumAt = 64;
static_assert(kHeaderChecksumAt + 8 == kChunkHeaderBytes);
static_assert(kChunkTrailerBytes == 16 + 8);

SS_COVERAGE_POINT(kWalkSteppedOverBytes,
                  "a walk of an extent stepped over bytes that hold no frame and are not zeros");

Status Bad(const std::string& what) { return Status::Corruption("chunk frame: " + what); }

}  // namespace

namespace {

uint32_t FrameBytes(uint8_t version, uint32_t key_bytes, uint32_t payload_bytes) {
  const uint64_t raw = uint64_t{kChunkHeaderBytes} + key_bytes + payload_bytes + kChunkTrailerBytes;
  return static_cast<uint32_t>(
      coding::RoundUp(raw, version <= kChunkFormatVersionPaged ? kPageBytes : kFrameAlignBytes));
}

}  // namespace

uint32_t ChunkFrameBytes(uint32_t key_bytes, uint32_t payload_bytes) {
  return FrameBytes(kChunkFormatVersion, key_bytes, payload_bytes);
}

uint32_t ChunkHeader::frame_bytes() const { return FrameBytes(version, key_bytes, payload_bytes); }

PageBytes EncodeChunk(ChunkHeader header, std::string_view key, ByteView payload) {
  SS_ASSERT(key.size() <= kKeyBytesMax);
  SS_ASSERT(payload.size() <= kChunkPayloadBytesMax);
  SS_ASSERT(header.part_count >= 1 && header.part_count <= kChunkPartsMax);
  SS_ASSERT(header.part_index < header.part_count);
  header.key_bytes = static_cast<uint32_t>(key.size());
  header.payload_bytes = static_cast<uint32_t>(payload.size());
  header.version = kChunkFormatVersion;

  // PageBytes leaves its bytes as allocated: every one is written below, the key and payload
  // once, the header's reserved fields, the padding and the bytes past the frame as zeros.
  const uint32_t frame_bytes = header.frame_bytes();
  PageBytes frame(coding::RoundUp(frame_bytes, kPageBytes));
  const size_t padding_at = kChunkHeaderBytes + key.size() + payload.size();
  std::memset(frame.data(), 0, kChunkHeaderBytes);
  if (!key.empty()) std::memcpy(frame.data() + kChunkHeaderBytes, key.data(), key.size());
  if (!payload.empty()) {
    std::memcpy(frame.data() + kChunkHeaderBytes + key.size(), payload.data(), payload.size());
  }
  std::memset(frame.data() + padding_at, 0, frame.size() - padding_at);
  uint8_t* p = frame.data();
  coding::Put64(p + 0, kChunkMagic);
  std::memcpy(p + 8, header.uuid.data(), header.uuid.size());
  coding::Put8(p + 24, kChunkFormatVersion);
  coding::Put8(p + 25, static_cast<uint8_t>(header.kind));
  coding::Put32(p + 28, header.key_bytes);
  coding::Put32(p + 32, header.payload_bytes);
  coding::Put32(p + 36, header.part_index);
  coding::Put32(p + 40, header.part_count);
  coding::Put32(p + 44, header.link);
  coding::Put64(p + 48, header.sequence);
  const size_t trailer_at = frame_bytes - kChunkTrailerBytes;
  std::memcpy(p + trailer_at, header.uuid.data(), header.uuid.size());
  coding::Put64(p + trailer_at + 16, kChunkMagic);

  const ByteView body(p + kChunkHeaderBytes, trailer_at - kChunkHeaderBytes);
  coding::Put64(p + kBodyChecksumAt, Checksum(body));
  coding::Put64(p + kHeaderChecksumAt, Checksum(ByteView(p, kHeaderChecksumAt),
                                                ByteView(p + kChunkHeaderBytes, key.size())));
  return frame;
}

StatusOr<ChunkHeader> DecodeChunkHeader(ByteView bytes) {
  if (bytes.size() < kChunkHeaderBytes) return Bad("shorter than a header");
  const uint8_t* p = bytes.data();
  if (coding::Get64(p) != kChunkMagic) return Bad("bad magic");
  // key_bytes is not verified yet: bound it before using it to find the key.
  const uint32_t key_bytes = coding::Get32(p + 28);
  if (key_bytes > kKeyBytesMax) return Bad("key too long");
  if (bytes.size() < kChunkHeaderBytes + size_t{key_bytes})
    return Bad("shorter than header and key");
  if (coding::Get64(p + kHeaderChecksumAt) !=
      Checksum(bytes.first(kHeaderChecksumAt), bytes.subspan(kChunkHeaderBytes, key_bytes))) {
    return Bad("header checksum mismatch");
  }
  // Past the checksum the fields are as written; they are still bounds-checked, because a
  // buggy or foreign writer may have produced them.
  const uint8_t version = p[24];
  if (version < kChunkFormatVersionOldest || version > kChunkFormatVersion) {
    return Bad("unsupported chunk format version " + std::to_string(version));
  }
  ChunkHeader header;
  const uint8_t kind = p[25];
  if (kind == 0 || kind > kChunkKindMax) return Bad("unknown kind " + std::to_string(kind));
  header.kind = static_cast<ChunkKind>(kind);
  std::memcpy(header.uuid.data(), p + 8, header.uuid.size());
  header.key_bytes = coding::Get32(p + 28);
  header.payload_bytes = coding::Get32(p + 32);
  header.part_index = coding::Get32(p + 36);
  header.part_count = coding::Get32(p + 40);
  header.sequence = coding::Get64(p + 48);
  header.version = version;
  // Version 1 kept the link's bytes reserved.
  header.link = version == 1 ? 0 : coding::Get32(p + 44);
  if (coding::Get16(p + 26) != 0 || (version == 1 && coding::Get32(p + 44) != 0)) {
    return Bad("reserved bits set");
  }
  if (header.payload_bytes > kChunkPayloadBytesMax) return Bad("payload too long");
  if (header.part_count == 0 || header.part_count > kChunkPartsMax ||
      header.part_index >= header.part_count) {
    return Bad("bad part " + std::to_string(header.part_index) + "/" +
               std::to_string(header.part_count));
  }
  return header;
}

std::string_view ChunkKey(ByteView bytes, const ChunkHeader& header) {
  SS_ASSERT(bytes.size() >= kChunkHeaderBytes + size_t{header.key_bytes});
  return {reinterpret_cast<const char*>(bytes.data()) + kChunkHeaderBytes, header.key_bytes};
}

uint64_t RecordedBodyChecksum(ByteView bytes) {
  SS_ASSERT(bytes.size() >= kChunkHeaderBytes);
  return coding::Get64(bytes.data() + kBodyChecksumAt);
}

namespace {

// The part of `bytes` (from `offset` on) that lies in offset's page.
ByteView RestOfPage(uint32_t offset, ByteView bytes) {
  const auto page_end = coding::RoundUp(uint64_t{offset} + 1, kPageBytes);
  return bytes.first(std::min<uint64_t>(bytes.size(), page_end - offset));
}

}  // namespace

bool ZerosToPageEnd(uint32_t offset, ByteView bytes) {
  const ByteView rest = RestOfPage(offset, bytes);
  return std::all_of(rest.begin(), rest.end(), [](uint8_t b) { return b == 0; });
}

uint32_t NextFrameCandidate(uint32_t offset, ByteView bytes) {
  SS_ASSERT(offset % kFrameAlignBytes == 0);
  if (ZerosToPageEnd(offset, bytes)) {
    return static_cast<uint32_t>(offset + RestOfPage(offset, bytes).size());
  }
  SS_COVER(kWalkSteppedOverBytes);
  return offset + kFrameAlignBytes;
}

StatusOr<ChunkView> DecodeChunk(ByteView frame) {
  SS_ASSIGN_OR_RETURN(ChunkHeader header, DecodeChunkHeader(frame));
  const uint32_t frame_bytes = header.frame_bytes();
  if (frame.size() < frame_bytes)
    return Bad("truncated (frame needs " + std::to_string(frame_bytes) + " bytes)");
  const uint8_t* p = frame.data();
  const size_t trailer_at = frame_bytes - kChunkTrailerBytes;
  if (coding::Get64(p + trailer_at + 16) != kChunkMagic ||
      std::memcmp(p + trailer_at, header.uuid.data(), header.uuid.size()) != 0) {
    return Bad("trailer does not match header (torn or overwritten frame)");
  }
  const ByteView body(p + kChunkHeaderBytes, trailer_at - kChunkHeaderBytes);
  // The trailer repeating the header's UUID shows the frame's first and last bytes were
  // written together, not that the ones between were: only the checksum vouches for those.
  if (!SS_SEEDED_BUG(kChunkTrailerVouchesForBody) &&
      coding::Get64(p + kBodyChecksumAt) != Checksum(body)) {
    return Bad("body checksum mismatch");
  }
  ChunkView view;
  view.header = header;
  view.key = std::string_view(reinterpret_cast<const char*>(body.data()), header.key_bytes);
  view.payload = body.subspan(header.key_bytes, header.payload_bytes);
  return view;
}

}  // namespace shardstore
