// Swarm testing (Groce et al., ISSTA 2012): each block of sequences draws its own subset of the
// op alphabet, faults included (FailDiskOnce, DirtyReboot, Corrupt are ops), so some blocks run
// long sequences free of the ops that would mask a bug (a Reboot that heals, a Compact that
// hides) while others stress one feature hard.
//
// The subset is a function of (campaign seed, stream, block): every op kind of the harness's
// alphabet is in with probability 1/2, except its plain write and read (Put and Get, Append and
// Read), which are always in. A finding records its block's subset; its token holds the
// concrete ops, so replay never depends on it.
//
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "shardstore/checker/harness.h"
#include "shardstore/checker/op.h"

namespace shardstore::checker {

using OpKindSet = std::array<bool, kOpKindCount>;

OpKindSet SwarmOps(HarnessKind harness, uint64_t campaign_seed, std::string_view stream,
                   uint64_t block);
// "Put,Get,Reclaim": the kinds in the set that the harness's alphabet holds.
std::string DescribeOps(HarnessKind harness, const OpKindSet& ops);

}  // namespace shardstore::checker
