// The chunk frame: the only unit the engine ever writes to a data, index or metadata extent.
//
// A frame is a fixed header, the key, the payload, zero padding and a trailer. A format version 3
// frame ends on a multiple of kFrameAlignBytes, so several small ones share a page (the chunk
// store packs them); versions 1 and 2 padded every frame to whole pages, and still decode. The
// header and the trailer both carry the magic and a per-chunk random UUID, so a scan can recognise
// a frame from either end and tell a whole frame from a torn one or from stale bytes of an older
// chunk. Two XXH3 checksums: one covers the header fields and the key, so a frame whose header
// verifies names its key reliably even when its payload is damaged; the other covers everything
// between header and trailer (key, payload and padding). The trailer must repeat the header's UUID
// and magic. Every byte of a frame is thus checked. The grammar is in docs/format/chunk.md.
//
// The decoders treat their input as hostile: any inconsistency is Corruption, never a crash, an
// out-of-bounds read, or a successful decode of bytes the checksums did not cover.
//
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "shardstore/status.h"
#include "shardstore/types.h"
#include "util/page_bytes.h"

namespace shardstore {

enum class ChunkKind : uint8_t {
  kData = 1,           // a part of a shard's value
  kTombstone = 2,      // a shard's deletion
  kIndexRun = 3,       // a sorted run of the LSM index
  kIndexMetadata = 4,  // the set of live LSM runs
};
inline constexpr uint8_t kChunkKindMax = 4;

using Uuid = std::array<uint8_t, 16>;

inline constexpr uint64_t kChunkMagic = 0x6b6e686364726873ull;  // "shrdchnk" little-endian
inline constexpr uint8_t kChunkFormatVersion = 3;        // what this build writes: 8-byte aligned
inline constexpr uint8_t kChunkFormatVersionOldest = 1;  // the oldest it reads (no link)
// The newest version whose frames fill whole pages.
inline constexpr uint8_t kChunkFormatVersionPaged = 2;
inline constexpr uint32_t kChunkHeaderBytes = 72;
inline constexpr uint32_t kChunkTrailerBytes = 24;

struct ChunkHeader {
  ChunkKind kind = ChunkKind::kData;
  Uuid uuid{};
  uint64_t sequence = 0;  // the engine-wide write sequence of the value this chunk belongs to
  uint32_t part_index = 0;
  uint32_t part_count = 1;
  uint32_t key_bytes = 0;
  uint32_t payload_bytes = 0;
  // Chains a data extent's frames: on data and tombstone chunks, ChainLink of the previous
  // frame's UUID on the extent (or the extent's ChainAnchor for the first frame), so recovery can
  // tell the frames appended past a persisted write pointer from stale ones
  // (chunkstore/tail_chain.h). 0 on index chunks, and in every format version 1 frame.
  uint32_t link = 0;
  // As decoded; EncodeChunk always writes kChunkFormatVersion.
  uint8_t version = kChunkFormatVersion;

  // Bytes the whole frame occupies on disk: a multiple of kFrameAlignBytes (of kPageBytes in a
  // version 1 or 2 frame).
  uint32_t frame_bytes() const;
  friend bool operator==(const ChunkHeader&, const ChunkHeader&) = default;
};

// Bytes a frame this build writes, with this key and payload size, occupies on disk.
uint32_t ChunkFrameBytes(uint32_t key_bytes, uint32_t payload_bytes);

// Encodes a whole frame at the start of a page-aligned buffer of whole pages, zeros after the
// frame (an O_DIRECT disk writes it in place). REQUIRES: key.size() <= kKeyBytesMax,
// payload.size() <= kChunkPayloadBytesMax, and header's part fields consistent;
// header.key_bytes, header.payload_bytes and header.version are overwritten.
PageBytes EncodeChunk(ChunkHeader header, std::string_view key, ByteView payload);

// Decodes the header from the start of `bytes` and checks its checksum (which covers the key)
// and every field's bounds. Needs the header and the key: the first page of a frame always
// suffices. Succeeds without reading the rest of the frame.
StatusOr<ChunkHeader> DecodeChunkHeader(ByteView bytes);
// The key of a frame whose header DecodeChunkHeader accepted from `bytes`.
std::string_view ChunkKey(ByteView bytes, const ChunkHeader& header);
// The body checksum recorded in a header DecodeChunkHeader accepted from `bytes` (the header
// checksum covers it): what the key, payload and padding should hash to, even when they do not.
uint64_t RecordedBodyChecksum(ByteView bytes);

// A verified frame; key and payload point into the frame passed to DecodeChunk.
struct ChunkView {
  ChunkHeader header;
  std::string_view key;
  ByteView payload;
};

// Where a walk of an extent looks for a frame next, having found none at `offset` (a multiple
// of kFrameAlignBytes): `bytes` are the extent's bytes from `offset` on, at least to the end of
// its page or to the end of what the walk may read. A frame may start at any multiple of
// kFrameAlignBytes, so the walk steps by that much over bytes that hold none (a damaged header,
// bytes no chunk wrote), but skips to the next page at once when the rest of this page is
// zeros: the padding behind the last frame of a write, or a page never written.
uint32_t NextFrameCandidate(uint32_t offset, ByteView bytes);
// True when `bytes` (an extent's, from `offset` on) are zeros to the end of offset's page, or to
// their end if that comes first.
bool ZerosToPageEnd(uint32_t offset, ByteView bytes);

// Decodes and verifies a whole frame: header, body checksum and trailer. `frame` may be longer
// than the frame; bytes past it are ignored.
StatusOr<ChunkView> DecodeChunk(ByteView frame);

}  // namespace shardstore
