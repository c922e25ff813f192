#include "shardstore/checker/harness.h"

#include <exception>

#include "shardstore/assert.h"
#include "shardstore/checker/chunk_store_harness.h"
#include "shardstore/checker/index_harness.h"
#include "shardstore/checker/store_harness.h"

namespace shardstore::checker {

std::string_view HarnessName(HarnessKind kind) {
  switch (kind) {
    case HarnessKind::kStore:
      return "store";
    case HarnessKind::kIndex:
      return "index";
    case HarnessKind::kChunkStore:
      return "chunk";
  }
  return "unknown";
}

std::optional<HarnessKind> ParseHarness(std::string_view name) {
  for (HarnessKind kind : {HarnessKind::kStore, HarnessKind::kIndex, HarnessKind::kChunkStore}) {
    if (HarnessName(kind) == name) return kind;
  }
  return std::nullopt;
}

bool InAlphabet(HarnessKind harness, OpKind kind) {
  const bool chunk_kind = kind == OpKind::kRead || kind == OpKind::kAppend ||
                          kind == OpKind::kReset || kind == OpKind::kFlush ||
                          kind == OpKind::kReboot;
  return harness == HarnessKind::kChunkStore ? chunk_kind
                                             : kind <= OpKind::kFailDiskOnce;
}

std::optional<std::string> Harness::Run(const Op& op) {
  executed_.push_back(op);
  ++op_counts_[static_cast<int>(op.kind)];
  note_.clear();
  // An engine assertion is a violation like any other, so it is shrunk and replayed.
  try {
    return Step(op);
  } catch (const AssertionFailure& failure) {
    return std::string(failure.what());
  } catch (const std::exception& e) {
    return std::string("exception: ") + e.what();
  }
}

std::optional<std::string> Harness::Finish() {
  note_.clear();
  try {
    return FinishChecks();
  } catch (const AssertionFailure& failure) {
    return std::string(failure.what());
  } catch (const std::exception& e) {
    return std::string("exception: ") + e.what();
  }
}

std::unique_ptr<Harness> MakeHarness(HarnessKind kind) {
  switch (kind) {
    case HarnessKind::kStore:
      return std::make_unique<StoreHarness>();
    case HarnessKind::kIndex:
      return std::make_unique<IndexHarness>();
    case HarnessKind::kChunkStore:
      return std::make_unique<ChunkStoreHarness>();
  }
  return nullptr;
}

}  // namespace shardstore::checker
