// The encoding of a sorted run of the LSM index: the payload of its kIndexRun chunks.
//
// A run is encoded once, then split into chunk-sized pieces; the concatenated payloads of its
// chunks, in part order, are the bytes decoded here. The grammar is in docs/format/lsm.md.
// DecodeRun treats its input as hostile: any inconsistency (bounds, order, counts, trailing
// bytes) is Corruption.
//
// Thread-safety: pure functions.
#pragma once

#include "index/index_entry.h"
#include "shardstore/status.h"
#include "shardstore/types.h"

namespace shardstore {

inline constexpr uint32_t kRunMagic = 0x314e5552;  // "RUN1"
inline constexpr uint32_t kRunEntriesMax = 1u << 24;

// REQUIRES: keys strictly ascending, each 1..kKeyBytesMax bytes; a tombstone has no parts.
Bytes EncodeRun(const RunEntries& entries);
StatusOr<RunEntries> DecodeRun(ByteView bytes);

}  // namespace shardstore
