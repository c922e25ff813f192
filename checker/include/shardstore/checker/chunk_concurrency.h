// The chunk store under the deterministic scheduler, below the Store's lock: ChunkStore promises
// thread safety of its own, and the Store's lock hides most of it (a Store never flushes from two
// threads at once). The harness `chunk-flush`:
//
//   two appenders (frames of one to three pages), each waiting for one of its chunks to be
//   persistent (a waiter drives the IO scheduler itself) and reading back its first ‖ two
//   flushers ‖ a reader of chunks already appended, while writes and flushes are in flight.
//
// Checked: every append and flush succeeds; a read returns exactly the chunk appended there;
// Dependency::Wait() returning OK means persistent; a Flush returning OK means every append that
// completed before it began is persistent. At the end the power goes out (the chunk store
// abandoned, pages not flushed lost) and it reopens: every chunk that was persistent reads back
// from the disk (persistence). A violation is thrown, so the scheduler reports it with its
// schedule.
//
// The sizes and the reader's choices are drawn from `seed` when the body is made; the schedule is
// the only other input.
//
// Thread-safety: each call of the body builds its own disk and chunk store.
#pragma once

#include <cstdint>

#include "shardstore/checker/concurrency_check.h"

namespace shardstore::checker {

Body ChunkStoreConcurrencyBody(uint64_t seed);

}  // namespace shardstore::checker
