// The chain of a data extent's frames: how recovery finds the chunks appended past a persisted
// write pointer.
//
// A Put is durable once its frames are flushed; no superblock has to cover them first. So the
// write pointer a superblock persists for a data extent is only where recovery starts looking:
// past it lie the frames appended since, then whatever the extent held before — frames a crash
// left behind a torn one, stale frames of the extent's earlier life, pages never written. Each
// data or tombstone frame therefore carries a link (ChunkHeader::link): ChainLink of the UUID of
// the frame before it on the extent (0 for the first frame). Recovery follows the chain from the
// persisted write pointer (FollowChain) and stops at the first page that does not continue it: a
// frame that does not verify, one that links to anything else, or one that would not fit. UUIDs
// are drawn per chunk, so a stale frame continues the chain only by a 2^-32 coincidence.
//
// Two rules make the frames that do continue it the right ones (chunkstore/chunk_store.cc):
// - a data extent is recorded by a superblock only once its first frame is durable, and a
//   persisted write pointer of 0 means a free extent: no chain starts at offset 0, where a
//   stale first frame of the extent's earlier life could stand;
// - every writable open makes the recovered end of each chain durable (the boot commit) before
//   it appends, and new frames continue the chain from there: frames a crash left past a torn
//   one link to UUIDs no new frame has.
//
// Thread-safety: pure functions (FollowChain reads the disk it is given).
#pragma once

#include <cstdint>

#include "chunk/chunk_format.h"
#include "shardstore/disk.h"
#include "shardstore/status.h"

namespace shardstore {

// The link a frame carries when `previous` is the UUID of the frame before it.
uint32_t ChainLink(const Uuid& previous);

struct ChainEnd {
  uint32_t end = 0;        // the chain's last frame ends here (>= the persisted write pointer)
  uint32_t next_link = 0;  // what the next frame appended at `end` must carry
  // What a frame at the persisted write pointer had to carry.
  uint32_t link_at_pointer = 0;
  // False when no whole frame ends at the persisted write pointer (damage there): no frame past
  // it can be told from a stale one, so the extent must take no more appends.
  bool resumable = true;
};

// Follows data extent `extent`'s chain from `write_pointer` (a page multiple above 0) on `disk`.
// IOError when a read fails: the frames past the pointer may hold durable Puts, so recovery must
// not guess.
StatusOr<ChainEnd> FollowChain(Disk* disk, uint32_t extent, uint32_t write_pointer);

// Zeros the rest of the page a chain ends in, when the chain ends inside a page (a frame packed
// behind the last one was torn, say) and anything but zeros follows it there: the next append
// starts on the next page, and the bytes left between would be taken for a damaged frame by a
// walk of the extent once appends pass them. Rewriting the page is safe however the write
// tears: its bytes before `end` are written as they are, so any mix of old and new sectors
// keeps them. REQUIRES: a writable disk; the caller flushes before it relies on the zeros.
Status ClearPastChainEnd(Disk* disk, uint32_t extent, uint32_t end);

}  // namespace shardstore
