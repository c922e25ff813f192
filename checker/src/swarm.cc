#include "shardstore/checker/swarm.h"

#include "shardstore/checker/shard.h"

namespace shardstore::checker {

OpKindSet SwarmOps(HarnessKind harness, uint64_t campaign_seed, std::string_view stream,
                   uint64_t block) {
  const uint64_t bits = SequenceSeed(campaign_seed, std::string(stream) + "/swarm", block);
  OpKindSet ops{};
  for (int k = 0; k < kOpKindCount; ++k) {
    const OpKind kind = static_cast<OpKind>(k);
    const bool plain = kind == OpKind::kPut || kind == OpKind::kGet || kind == OpKind::kAppend ||
                       kind == OpKind::kRead;
    ops[k] = InAlphabet(harness, kind) && (plain || (bits >> k & 1) != 0);
  }
  return ops;
}

std::string DescribeOps(HarnessKind harness, const OpKindSet& ops) {
  std::string text;
  for (int k = 0; k < kOpKindCount; ++k) {
    if (!ops[k] || !InAlphabet(harness, static_cast<OpKind>(k))) continue;
    if (!text.empty()) text += ",";
    text += OpKindName(static_cast<OpKind>(k));
  }
  return text;
}

}  // namespace shardstore::checker
