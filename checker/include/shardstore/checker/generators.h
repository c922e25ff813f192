// Generators: RapidCheck generators of each harness's ops, biased towards what finds bugs.
//
//   - a small key pool; Get and Delete prefer keys that hold a value;
//   - sizes clustered where framing changes: 0, 1, a frame of exactly one page (and ±1), the
//     page size (and ±1), the chunk limit (and ±1), several chunks, plus uniform sizes;
//   - Reclaim, Read, Reset and FailDiskOnce take selectors resolved at run time, so they hit
//     extents that hold live data and chunks that exist whatever came before.
//
// Alternatives are listed simplest first: RapidCheck shrinks a choice towards earlier ones.
//
// Thread-safety: values.
#pragma once

#include <rapidcheck.h>

#include <cstdint>
#include <set>

#include "shardstore/checker/harness.h"
#include "shardstore/checker/op.h"

namespace shardstore::checker {

// What generation knows of a sequence so far: the keys that hold a value.
struct GenState {
  std::set<uint32_t> present;
  void Apply(const Op& op);
};

// `exploring`: the crash explorer runs, and every disk flush costs hundreds of recoveries, so
// Fill (dozens of Puts, each flushed) and the store's Corrupt (a flush each) are left out; the
// conformance suite drives the reserve and the damage.
rc::Gen<Op> GenOp(HarnessKind harness, const GenState& state, bool exploring = false);

}  // namespace shardstore::checker
