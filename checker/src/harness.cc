#include "shardstore/checker/harness.h"

#include <algorithm>
#include <cstring>
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
  switch (harness) {
    case HarnessKind::kStore:
      return kind <= OpKind::kDirtyReboot || kind == OpKind::kDropCache || kind == OpKind::kFill ||
             kind == OpKind::kCorrupt;
    case HarnessKind::kIndex:
      return kind <= OpKind::kFailDiskOnce;
    case HarnessKind::kChunkStore:
      return kind == OpKind::kRead || kind == OpKind::kAppend || kind == OpKind::kReset ||
             kind == OpKind::kFlush || kind == OpKind::kReboot || kind == OpKind::kCorrupt ||
             kind == OpKind::kDirtyReboot || kind == OpKind::kDropCache;
  }
  return false;
}

std::string Harness::Failed(std::string_view what, const Status& status) {
  SetResults(status.ToString(), "OK");
  return std::string(what) + " failed: " + status.ToString();
}

std::optional<std::string> Harness::Run(const Op& op) {
  executed_.push_back(op);
  ++op_counts_[static_cast<int>(op.kind)];
  note_.clear();
  engine_result_.clear();
  model_result_.clear();
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
  engine_result_.clear();
  model_result_.clear();
  try {
    return FinishChecks();
  } catch (const AssertionFailure& failure) {
    return std::string(failure.what());
  } catch (const std::exception& e) {
    return std::string("exception: ") + e.what();
  }
}

Bytes ValueBytes(uint32_t size, uint8_t fill) {
  // Every 8 bytes differ, and values of different fills differ everywhere: a chunk read from
  // the wrong place or at a shifted offset never matches.
  Bytes value(size);
  uint64_t word = (fill + 1) * 0x9E3779B97F4A7C15ull;
  for (uint32_t i = 0; i < size; i += 8) {
    word = word * 6364136223846793005ull + 1442695040888963407ull;
    std::memcpy(value.data() + i, &word, std::min<uint32_t>(8, size - i));
  }
  return value;
}

std::unique_ptr<Harness> MakeHarness(HarnessKind kind,
                                     const std::optional<CrashExploration>& explore,
                                     bool check_reclamation_cost) {
  SS_ASSERT(!explore || kind != HarnessKind::kIndex);
  switch (kind) {
    case HarnessKind::kStore:
      return std::make_unique<StoreHarness>(explore, check_reclamation_cost);
    case HarnessKind::kIndex:
      return std::make_unique<IndexHarness>();
    case HarnessKind::kChunkStore:
      return std::make_unique<ChunkStoreHarness>(explore);
  }
  return nullptr;
}

}  // namespace shardstore::checker
