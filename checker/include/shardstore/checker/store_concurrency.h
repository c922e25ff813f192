// The Store under the deterministic scheduler: harnesses whose threads call the Store at once,
// each checked for linearizability and invariants.
//
//   clients          three clients put (some waiting for durability), get, delete and list on a
//                    small key pool while a maintenance thread flushes, compacts and reclaims;
//   reclaim-compact  reclamation ‖ compaction ‖ a client that puts, waits, then gets ‖ two
//                    readers, over keys already in the index runs;
//   list-delete      a client deleting and re-putting ‖ a client listing ‖ a flushing thread,
//                    over keys already in the index runs;
//   readers-reset    three reclamations (each moves chunks and resets their extent) ‖ two
//                    readers of every key ‖ a put then a get, over keys already in the runs;
//   durable-flush    two clients that put values up to and past the read budget and wait for
//                    each to be durable (a waiter drives the IO scheduler itself, without the
//                    store lock) ‖ a flusher ‖ a reader, over keys already in the runs;
//   chunk-flush      the chunk store alone, below the Store's lock: appenders that wait ‖ two
//                    flushers ‖ a reader (chunk_concurrency.h has its checks).
//
// Every client operation is recorded (HistoryRecorder) and the history must be linearizable
// against the kv model, per key. A List is recorded as one `exists` operation per key of the
// pool (by a process of its own per key: 100 + 16 × client + key). No operation may fail (a Put
// may refuse with NoSpace, recorded as failed; Reclaim may find its extent already free or too
// full), every Dependency waited for must be persistent when Wait() returns, and at the end the
// store verifies (Store::Verify). Then the power goes out (the store abandoned, pages not
// flushed lost) and the store reopens: each key must hold a write that no durable write of it
// follows in real time (persistence; a write is durable once its Dependency was waited for, or
// once a Flush began after it completed); it verifies again and shuts down cleanly. A violation
// is thrown, so the scheduler reports it with its schedule; a deadlock or livelock is the
// scheduler's own report.
//
// The operations each thread performs are drawn from `seed` when the body is made, so a body is
// a fixed program and the schedule is the only other input: Random, PCT, DFS and Replay all
// apply, and a failing schedule replays bit for bit.
//
// Thread-safety: each call of the body builds its own disk and store.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "shardstore/checker/concurrency_check.h"
#include "shardstore/checker/history.h"

namespace shardstore::checker {

enum class StoreWorkload : uint8_t {
  kClients,
  kReclaimCompact,
  kListDelete,
  kReadersReset,
  kDurableFlush,
  kChunkFlush,  // ChunkStoreConcurrencyBody
};

std::span<const StoreWorkload> AllStoreWorkloads();
std::string_view StoreWorkloadName(StoreWorkload workload);
std::optional<StoreWorkload> FindStoreWorkload(std::string_view name);

// With `history_out`, each run leaves its recorded history there (a report draws it); the
// chunk-flush harness records none.
Body StoreConcurrencyBody(StoreWorkload workload, uint64_t seed,
                          std::shared_ptr<History> history_out = nullptr);

}  // namespace shardstore::checker
