// The Store under the deterministic scheduler: client threads put, get and delete on a small key
// pool while a maintenance thread flushes the index, compacts and reclaims. Every client
// operation is recorded (HistoryRecorder) and the history must be linearizable against the kv
// model; no operation may fail (a Put may refuse with NoSpace: recorded as failed); at the end
// the store verifies (Store::Verify). A violation is thrown, so the scheduler reports it with
// its schedule.
//
// The operations each thread performs are drawn from `seed` when the body is made, so a body is
// a fixed program and the schedule is the only other input: Random, PCT, DFS and Replay all
// apply, and a failing schedule replays bit for bit.
//
// Thread-safety: each call of the body builds its own disk and store.
#pragma once

#include <cstdint>

#include "shardstore/checker/concurrency_check.h"

namespace shardstore::checker {

struct StoreConcurrencyOptions {
  uint32_t clients = 3;
  uint32_t ops_per_client = 4;
  uint32_t keys = 3;
  uint32_t maintenance_ops = 3;  // flushes, compactions and reclaims by the background thread
};

Body StoreConcurrencyBody(uint64_t seed, StoreConcurrencyOptions options = {});

}  // namespace shardstore::checker
