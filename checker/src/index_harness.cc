#include "shardstore/checker/index_harness.h"

#include <algorithm>

namespace shardstore::checker {
namespace {

std::string Describe(const Status& status) { return status.ok() ? "OK" : status.ToString(); }

std::string ShowParts(const std::optional<std::vector<Locator>>& parts) {
  if (!parts) return "no value";
  std::string text = "[";
  for (const Locator& l : *parts) text += " " + l.ToString();
  return text + " ]";
}

}  // namespace

IndexHarness::IndexHarness()
    : disk_(kGeometry), promise_link_(std::make_shared<internal::DriverLink>()) {
  SS_ASSERT(!Open(0).has_value());
}

IndexHarness::~IndexHarness() {
  index_.reset();
  chunks_.reset();
}

std::vector<Locator> IndexHarness::Parts(uint32_t size, uint8_t fill) {
  std::vector<Locator> parts;
  const uint32_t count = 1 + size % 3;
  for (uint32_t i = 0; i < count; ++i) {
    parts.push_back(Locator{1 + (fill + i) % (kGeometry.extent_count - 1),
                            ((fill >> 2) + i) % 16 * kPageBytes, kPageBytes * (1 + size % 2)});
  }
  return parts;
}

std::optional<std::string> IndexHarness::Open(uint64_t faults_before) {
  // A transient read error may fail an open, and each attempt consumes one: retry while they
  // fire (bounded, as the armed faults are).
  for (uint64_t fired = faults_before;;) {
    index_.reset();
    chunks_.reset();
    ChunkStoreOptions options;
    options.disk = &disk_;
    options.format_if_blank = true;
    options.read_cache_bytes = 32 * 1024;
    StatusOr<std::unique_ptr<ChunkStore>> opened = ChunkStore::Open(options);
    Status status = opened.status();
    if (opened.ok()) {
      chunks_ = std::move(opened).value();
      LsmOptions lsm;
      lsm.chunk_payload_bytes_max = kRunChunkPayloadBytes;
      lsm.memtable_entries_max = 6;
      lsm.level0_runs_max = 3;
      index_ = std::make_unique<LsmIndex>(chunks_.get(), lsm, promise_link_);
      status = index_->Recover(chunks_->index_root());
      if (status.ok()) return std::nullopt;
    }
    const uint64_t now = disk_.stats().faults_injected;
    if (!status.IsIOError() || now == fired) return "reopening failed: " + Describe(status);
    fired = now;
  }
}

std::vector<std::string> IndexHarness::ModelKeys() const {
  std::vector<std::string> keys;
  for (const auto& [key, parts] : model_) keys.push_back(key);
  return keys;
}

std::optional<std::string> IndexHarness::CheckLookup(const std::string& key) {
  const std::optional<IndexEntry> entry = index_->Lookup(key);
  std::optional<std::vector<Locator>> got;
  if (entry && !entry->tombstone) got = entry->parts;
  auto in_model = model_.find(key);
  const std::optional<std::vector<Locator>> want =
      in_model == model_.end() ? std::nullopt : std::optional(in_model->second);
  if (got != want) {
    return "Lookup(" + std::string(ShortKey(key)) + ") found " + ShowParts(got) +
           "; the model holds " + ShowParts(want);
  }
  return std::nullopt;
}

std::optional<std::string> IndexHarness::CheckEveryKey() {
  std::vector<std::string> keys;
  index_->ForEachLive([&](const std::string& key, const IndexEntry&) { keys.push_back(key); });
  if (keys != ModelKeys()) {
    return "the index lists " + std::to_string(keys.size()) + " keys; the model holds " +
           std::to_string(model_.size());
  }
  for (uint32_t key : KeyPool(kKeyCount)) {
    if (auto v = CheckLookup(PoolKey(key))) return v;
  }
  if (disk_.faults_armed() == 0) {
    if (Status s = index_->VerifyStored(); !s.ok()) return "the stored index: " + Describe(s);
  }
  return std::nullopt;
}

std::optional<std::string> IndexHarness::Reclaim(uint32_t selector, uint64_t faults_before) {
  std::vector<uint32_t> live, used;
  const std::map<uint32_t, uint64_t> live_bytes = index_->IndexLiveBytes();
  for (ExtentOwner owner : {ExtentOwner::kIndex, ExtentOwner::kMetadata}) {
    for (uint32_t e : chunks_->ExtentsOwnedBy(owner)) {
      used.push_back(e);
      if (live_bytes.count(e) > 0) live.push_back(e);
    }
  }
  const std::vector<uint32_t>& candidates = live.empty() ? used : live;
  if (candidates.empty()) {
    SetNote("nothing to reclaim");
    return std::nullopt;
  }
  const uint32_t extent = candidates[selector % candidates.size()];
  SetNote("extent " + std::to_string(extent));
  chunks_->Seal(extent);
  Status s = index_->Flush();
  if (s.ok()) s = index_->EvacuateIndexExtent(extent);
  if (!s.ok()) {
    const bool fired = disk_.stats().faults_injected > faults_before;
    if ((s.IsIOError() && fired) || s.IsNoSpace()) return std::nullopt;
    return Failed("evacuating extent " + std::to_string(extent), s);
  }
  const auto after = index_->IndexLiveBytes();
  if (auto it = after.find(extent); it != after.end()) {
    return "after evacuation extent " + std::to_string(extent) + " still holds " +
           std::to_string(it->second) + " live index bytes";
  }
  StatusOr<Dependency> reset = chunks_->Reset(extent);
  if (!reset.ok())
    return Failed("Reset(" + std::to_string(extent) + ")", reset.status());
  return std::nullopt;
}

std::optional<std::string> IndexHarness::Step(const Op& op) {
  const uint64_t faults_before = disk_.stats().faults_injected;
  const std::string key = PoolKey(op.key);
  if (key.size() > kKeyBytesMax &&
      (op.kind == OpKind::kGet || op.kind == OpKind::kPut || op.kind == OpKind::kDelete)) {
    SetNote("key past kKeyBytesMax: the store refuses it before the index sees it");
    return std::nullopt;
  }
  switch (op.kind) {
    case OpKind::kGet:
      if (auto v = CheckLookup(key)) return v;
      break;
    case OpKind::kPut: {
      std::vector<Locator> parts = Parts(op.size, op.fill);
      index_->Insert(key, IndexEntry{chunks_->NextSequence(), false, parts}, Dependency());
      model_[key] = std::move(parts);
      break;
    }
    case OpKind::kDelete:
      index_->Insert(key, IndexEntry{chunks_->NextSequence(), true, {}}, Dependency());
      model_.erase(key);
      break;
    case OpKind::kList: {
      std::vector<std::string> keys;
      index_->ForEachLive([&](const std::string& k, const IndexEntry&) { keys.push_back(k); });
      if (keys != ModelKeys()) {
        return "List found " + std::to_string(keys.size()) + " keys; the model holds " +
               std::to_string(model_.size());
      }
      break;
    }
    case OpKind::kIndexFlush:
      if (Status s = index_->Flush(); !s.ok()) return Failed("Flush", s);
      break;
    case OpKind::kCompact:
      if (Status s = index_->Compact(); !s.ok()) return Failed("Compact", s);
      break;
    case OpKind::kReclaim:
      if (auto v = Reclaim(op.selector, faults_before)) return v;
      break;
    case OpKind::kReboot: {
      if (Status s = index_->Flush(); !s.ok()) return Failed("Flush", s);
      if (Status s = chunks_->Flush(); !s.ok()) return Failed("chunk Flush", s);
      if (auto v = Open(faults_before)) return v;
      if (auto v = CheckEveryKey()) return v;
      break;
    }
    case OpKind::kFailDiskOnce: {
      if (op.io == FaultIo::kWrite) {
        SetNote("write faults are the store harness's; ignored");
        break;
      }
      std::vector<uint32_t> used = {0};
      for (ExtentOwner owner : {ExtentOwner::kIndex, ExtentOwner::kMetadata}) {
        for (uint32_t e : chunks_->ExtentsOwnedBy(owner)) used.push_back(e);
      }
      const uint32_t extent = used[op.selector % used.size()];
      disk_.FailNext(extent, IoKind::kRead, op.skip);
      SetNote("extent " + std::to_string(extent));
      break;
    }
    default:
      return "the index harness has no " + std::string(OpKindName(op.kind));
  }
  return CheckInvariants();
}

std::optional<std::string> IndexHarness::CheckInvariants() {
  const std::vector<ChunkStore::ExtentInfo> extents = chunks_->Extents();
  for (const auto& [extent, bytes] : index_->IndexLiveBytes()) {
    const ChunkStore::ExtentInfo& info = extents.at(extent);
    if (info.owner != ExtentOwner::kIndex && info.owner != ExtentOwner::kMetadata) {
      return "live index bytes in extent " + std::to_string(extent) + ", owned by " +
             std::string(ExtentOwnerName(info.owner));
    }
    if (bytes > info.write_pointer) {
      return "extent " + std::to_string(extent) + " holds " + std::to_string(bytes) +
             " live index bytes below a write pointer of " + std::to_string(info.write_pointer);
    }
  }
  return std::nullopt;
}

std::optional<std::string> IndexHarness::FinishChecks() { return CheckEveryKey(); }

}  // namespace shardstore::checker
