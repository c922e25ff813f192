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
//                    readers of every key ‖ a put then a get, over keys already in the runs.
//
// Every client operation is recorded (HistoryRecorder) and the history must be linearizable
// against the kv model, per key. A List is recorded as one `exists` operation per key of the pool
// (by a process of its own per key: 100 + 16 × client + key). No operation may fail (a Put may
// refuse with NoSpace, recorded as failed; Reclaim may find its extent already free or too
// full), every Dependency waited for must become persistent, and at the end the store verifies
// (Store::Verify) and shuts down cleanly. A violation is thrown, so the scheduler reports it
// with its schedule; a deadlock or livelock is the scheduler's own report.
//
// The operations each thread performs are drawn from `seed` when the body is made, so a body is
// a fixed program and the schedule is the only other input: Random, PCT, DFS and Replay all
// apply, and a failing schedule replays bit for bit.
//
// Thread-safety: each call of the body builds its own disk and store.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "shardstore/checker/concurrency_check.h"

namespace shardstore::checker {

enum class StoreWorkload : uint8_t { kClients, kReclaimCompact, kListDelete, kReadersReset };

std::span<const StoreWorkload> AllStoreWorkloads();
std::string_view StoreWorkloadName(StoreWorkload workload);
std::optional<StoreWorkload> FindStoreWorkload(std::string_view name);

Body StoreConcurrencyBody(StoreWorkload workload, uint64_t seed);

}  // namespace shardstore::checker
