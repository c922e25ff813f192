// Every fixed limit of the engine, in one place. Units come last in the name.
//
// Limits that describe the on-disk format are part of the format: changing one needs a new
// format version (docs/format/).
//
// Thread-safety: compile-time constants.
#pragma once

#include <cstddef>
#include <cstdint>

namespace shardstore {

// Disks are written in pages; a torn write keeps a prefix of a page's sectors.
inline constexpr uint32_t kPageBytes = 4096;
inline constexpr uint32_t kSectorBytes = 512;

// Geometry bounds accepted by format and open.
inline constexpr uint32_t kExtentCountMin = 2;  // the superblock extent and one more
inline constexpr uint32_t kExtentCountMax = 1u << 20;
inline constexpr uint32_t kExtentBytesMin = 16 * kPageBytes;
inline constexpr uint32_t kExtentBytesMax = 1u << 30;

// Chunks.
inline constexpr uint32_t kKeyBytesMax = 1024;
inline constexpr uint32_t kChunkPayloadBytesMax = 64u << 20;  // absolute; options pick lower
inline constexpr uint32_t kChunkPayloadBytesDefault = 1u << 20;
inline constexpr uint32_t kChunkPartsMax = 1u << 16;  // parts of one value
inline constexpr uint64_t kValueBytesMax = 256ull << 20;
// Frames (format version 3) start and end on multiples of this; several may share a page.
inline constexpr uint32_t kFrameAlignBytes = 8;

// IO scheduler.
inline constexpr uint32_t kIoBytesMax = 4u << 20;         // one coalesced disk write
inline constexpr uint64_t kQueuedBytesMax = 64ull << 20;  // unissued bytes before a drain
inline constexpr uint32_t kScanWindowBytes = 1u << 20;    // recovery/reclaim read window
inline constexpr size_t kPendingCommitsMax = 1u << 16;    // sealed commits not yet issued
// A data frame up to this size is packed right behind the frame queued before it on its extent,
// while that one is not yet issued, so they share pages (a 4 KiB value does not cost two pages).
// A larger frame starts a page of its own: its last page's slack is under 2 % of it, and packing
// would copy it.
inline constexpr uint32_t kPackFrameBytesMax = 256u << 10;

// UringDisk: one IO is cut into segments submitted together, up to the ring's depth, so the
// device sees several requests at once; a ring per concurrent caller, up to a bound.
inline constexpr uint32_t kUringQueueDepth = 64;
inline constexpr uint32_t kUringSegmentBytes = 256u << 10;
inline constexpr uint32_t kUringRingsMax = 64;

// Free extents held back so the index can always be flushed and reclamation can always move
// live chunks: a Put may not open an extent that would leave fewer free than
// kPutKeepFreeExtents (plus one per extent's worth of index beyond the first, so a compaction
// can always rewrite the index; Store::PutKeepFreeExtents); an evacuation,
// kEvacuationKeepFreeExtents; index runs and metadata may take the last ones.
inline constexpr uint32_t kEvacuationKeepFreeExtents = 2;
inline constexpr uint32_t kPutKeepFreeExtents = 3;
// Reclamation the store starts by itself resets an extent only when that frees at least
// extent_bytes / kReclaimFreedShareDivisor: then it copies at most kReclaimFreedShareDivisor - 1
// bytes of live chunks per byte it frees. (Reclaim(extent), asked for by the caller, copies
// whatever is live.) An eighth keeps a nearly full disk from evacuating 63/64-live extents to win
// their slack, and still lets live data fill seven eighths of every data extent.
inline constexpr uint32_t kReclaimFreedShareDivisor = 8;
// The fewest extents Store::CheckGeometry (and so the tool's `format`) accepts: the superblock
// extent, one open extent each for data, index and metadata, and one more than a Put's reserve,
// so that once the index has taken its extents a Put can still open a data extent, and a data
// extent emptied by deletes can be reclaimed and filled again. (Open accepts kExtentCountMin.)
inline constexpr uint32_t kFormatExtentCountMin = 4 + kPutKeepFreeExtents + 1;

}  // namespace shardstore
