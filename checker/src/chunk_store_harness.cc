#include "shardstore/checker/chunk_store_harness.h"

namespace shardstore::checker {
namespace {

std::string Describe(const Status& status) { return status.ok() ? "OK" : status.ToString(); }

}  // namespace

ChunkStoreHarness::ChunkStoreHarness()
    : disk_(kGeometry), write_pointers_(kGeometry.extent_count, 0) {
  Open();
}

ChunkStoreHarness::~ChunkStoreHarness() = default;

void ChunkStoreHarness::Open() {
  store_.reset();
  ChunkStoreOptions options;
  options.disk = &disk_;
  options.format_if_blank = true;
  options.read_cache_bytes = 64 * 1024;
  StatusOr<std::unique_ptr<ChunkStore>> opened = ChunkStore::Open(options);
  SS_ASSERT_MSG(opened.ok(), opened.status().ToString());
  store_ = std::move(opened).value();
}

std::optional<std::string> ChunkStoreHarness::CheckRead(const Locator& at, bool uncached) {
  StatusOr<ChunkStore::Chunk> got = uncached ? store_->ReadUncached(at) : store_->Read(at);
  auto it = model_.find(at);
  const models::Chunk* want = it == model_.end() ? nullptr : &it->second;
  if (!want) {
    if (got.ok()) {
      return "Read(" + at.ToString() + ") returned chunk " + got->key +
             " but its extent was reset since";
    }
    return std::nullopt;
  }
  if (!got.ok()) return "Read(" + at.ToString() + ") failed: " + Describe(got.status());
  if (got->key != want->key || got->payload != want->payload) {
    return "Read(" + at.ToString() + ") returned chunk " + got->key + " of " +
           std::to_string(got->payload.size()) + " bytes; the model holds chunk " + want->key +
           " of " + std::to_string(want->payload.size()) + " bytes" +
           (got->key == want->key ? " with other bytes" : "");
  }
  return std::nullopt;
}

std::optional<std::string> ChunkStoreHarness::Step(const Op& op) {
  std::optional<uint32_t> reset_extent;
  switch (op.kind) {
    case OpKind::kRead: {
      if (appended_.empty()) {
        SetNote("nothing appended yet");
        break;
      }
      const Locator at = appended_[op.selector % appended_.size()];
      SetNote(at.ToString());
      if (auto v = CheckRead(at, /*uncached=*/false)) return v;
      break;
    }
    case OpKind::kAppend: {
      ChunkHeader header;
      header.sequence = store_->NextSequence();
      const std::string key = KeyName(op.key);
      const Bytes payload = ValueBytes(op.size, op.fill);
      StatusOr<ChunkStore::Appended> result =
          store_->Append(ExtentOwner::kData, header, key, payload, Dependency());
      if (result.status().IsNoSpace()) {
        SetNote("NoSpace");  // a full disk may refuse
        break;
      }
      if (!result.ok()) return "Append failed: " + Describe(result.status());
      SetNote(result->locator.ToString());
      // Appends never overwrite: the new chunk overlaps none still there.
      for (const auto& [at, chunk] : model_) {
        if (at.extent == result->locator.extent && at.offset < result->locator.end() &&
            result->locator.offset < at.end()) {
          return "Append returned " + result->locator.ToString() + ", overlapping chunk " +
                 chunk.key + " still at " + at.ToString();
        }
      }
      model_[result->locator] = {key, payload};
      appended_.push_back(result->locator);
      break;
    }
    case OpKind::kReset: {
      std::vector<uint32_t> extents;  // those holding chunks, ascending
      for (const auto& [at, chunk] : model_) {
        if (extents.empty() || extents.back() != at.extent) extents.push_back(at.extent);
      }
      if (extents.empty()) {
        SetNote("no extent holds chunks");
        break;
      }
      reset_extent = extents[op.selector % extents.size()];
      SetNote("extent " + std::to_string(*reset_extent));
      StatusOr<Dependency> reset = store_->Reset(*reset_extent);
      if (!reset.ok()) return "Reset failed: " + Describe(reset.status());
      std::erase_if(model_, [&](const auto& item) { return item.first.extent == *reset_extent; });
      break;
    }
    case OpKind::kFlush:
      if (Status s = store_->Flush(); !s.ok()) return "Flush failed: " + Describe(s);
      break;
    case OpKind::kReboot:
      if (Status s = store_->Flush(); !s.ok()) return "Flush failed: " + Describe(s);
      Open();
      if (auto v = FinishChecks()) return v;
      break;
    default:
      return "the chunk store harness has no " + std::string(OpKindName(op.kind));
  }
  // Write pointers only move back on reset.
  const std::vector<ChunkStore::ExtentInfo> extents = store_->Extents();
  for (uint32_t e = 1; e < kGeometry.extent_count; ++e) {
    if (reset_extent != e && extents[e].write_pointer < write_pointers_[e]) {
      return "the write pointer of extent " + std::to_string(e) + " moved back from " +
             std::to_string(write_pointers_[e]) + " to " +
             std::to_string(extents[e].write_pointer) + " without a reset";
    }
    write_pointers_[e] = extents[e].write_pointer;
  }
  return std::nullopt;
}

std::optional<std::string> ChunkStoreHarness::FinishChecks() {
  for (const Locator& at : appended_) {
    if (auto v = CheckRead(at, /*uncached=*/true)) return v;
  }
  return std::nullopt;
}

}  // namespace shardstore::checker
