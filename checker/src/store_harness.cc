#include "shardstore/checker/store_harness.h"

#include <algorithm>

#include "chunk/chunk_format.h"

namespace shardstore::checker {
namespace {

std::string Describe(const Status& status) { return status.ok() ? "OK" : status.ToString(); }

// The first byte where two values differ, for a readable violation.
size_t FirstDifference(const Bytes& a, const Bytes& b) {
  const size_t common = std::min(a.size(), b.size());
  return static_cast<size_t>(std::mismatch(a.begin(), a.begin() + common, b.begin()).first -
                             a.begin());
}

std::vector<ExtentStat> ByExtent(const StoreStat& stat) {
  std::vector<ExtentStat> extents(stat.geometry.extent_count);
  for (uint32_t e = 0; e < extents.size(); ++e) extents[e] = {e, "free", 0, 0, 0};
  for (const ExtentStat& e : stat.extents) extents[e.extent] = e;
  return extents;
}

}  // namespace

StoreHarness::StoreHarness() : disk_(kGeometry) {
  options_.disk = &disk_;
  options_.format_if_blank = true;
  options_.chunk_payload_bytes_max = kChunkPayloadBytes;
  options_.memtable_entries_max = 6;
  options_.level0_runs_max = 3;
  options_.read_cache_bytes = 64 * 1024;
  auto opened = Store::Open(options_);
  SS_ASSERT_MSG(opened.ok(), opened.status().ToString());
  store_ = std::move(opened).value();
  extents_ = ByExtent(store_->Stat());
}

StoreHarness::~StoreHarness() = default;

uint64_t StoreHarness::FootprintBytes(const std::string& key, uint64_t value_bytes) const {
  const uint64_t parts =
      std::max<uint64_t>(1, (value_bytes + kChunkPayloadBytes - 1) / kChunkPayloadBytes);
  uint64_t bytes = 0;
  for (uint64_t part = 0; part < parts; ++part) {
    const uint64_t payload =
        std::min<uint64_t>(kChunkPayloadBytes, value_bytes - part * kChunkPayloadBytes);
    bytes += ChunkFrameBytes(static_cast<uint32_t>(key.size()), static_cast<uint32_t>(payload));
  }
  return bytes;
}

uint64_t StoreHarness::ModelFootprintBytes() const {
  uint64_t bytes = 0;
  for (const auto& [key, value] : model_.entries()) bytes += FootprintBytes(key, value.size());
  return bytes;
}

std::vector<uint32_t> StoreHarness::ReclaimCandidates() {
  std::vector<uint32_t> live, used;
  for (const ExtentStat& e : store_->Stat().extents) {
    if (e.extent == 0) continue;
    used.push_back(e.extent);
    if (e.live_bytes > 0) live.push_back(e.extent);
  }
  return live.empty() ? used : live;
}

std::optional<std::string> StoreHarness::CheckGet(const std::string& key, uint64_t faults_before) {
  StatusOr<Bytes> got = store_->Get(key);
  const Bytes* want = model_.Get(key);
  if (!got.ok()) {
    if (got.status().IsNotFound() && !want) return std::nullopt;
    // A read that failed may fail the Get; it may never return other bytes.
    if (got.status().IsIOError() && disk_.stats().faults_injected > faults_before) {
      return std::nullopt;
    }
    return "Get(" + key + ") returned " + Describe(got.status()) + "; the model holds " +
           (want ? std::to_string(want->size()) + " bytes" : "no value");
  }
  if (!want) {
    return "Get(" + key + ") returned " + std::to_string(got->size()) +
           " bytes; the model holds no value";
  }
  if (*got != *want) {
    return "Get(" + key + ") returned " + std::to_string(got->size()) + " bytes; the model holds " +
           std::to_string(want->size()) + " bytes; they first differ at byte " +
           std::to_string(FirstDifference(*got, *want));
  }
  return std::nullopt;
}

std::optional<std::string> StoreHarness::CheckEveryKey(uint64_t faults_before) {
  StatusOr<std::vector<std::string>> keys = store_->List();
  if (!keys.ok()) return "List failed: " + Describe(keys.status());
  if (*keys != model_.List()) {
    return "List returned " + std::to_string(keys->size()) + " keys; the model holds " +
           std::to_string(model_.List().size());
  }
  for (const std::string& key : model_.List()) {
    if (auto v = CheckGet(key, faults_before)) return v;
  }
  // Reading everything back from the disk would consume an armed fault, changing what the
  // sequence means; skip it then.
  if (disk_.faults_armed() == 0) {
    if (Status s = store_->Verify(); !s.ok()) return "Verify failed: " + Describe(s);
  }
  return std::nullopt;
}

std::optional<std::string> StoreHarness::Open(uint64_t faults_before) {
  // A transient read error may fail an open, and each attempt consumes one: retry while they
  // fire (bounded, as the armed faults are).
  for (uint64_t fired = faults_before;;) {
    StatusOr<std::unique_ptr<Store>> opened = Store::Open(options_);
    if (opened.ok()) {
      store_ = std::move(opened).value();
      return std::nullopt;
    }
    const uint64_t now = disk_.stats().faults_injected;
    if (!opened.status().IsIOError() || now == fired) {
      return "reopening failed: " + Describe(opened.status());
    }
    fired = now;
  }
}

std::optional<std::string> StoreHarness::Reboot(uint64_t faults_before) {
  if (Status s = store_->Shutdown(); !s.ok()) return "Shutdown failed: " + Describe(s);
  const std::vector<ExtentStat> before = ByExtent(store_->Stat());
  store_.reset();
  if (auto v = Open(faults_before)) return v;
  const std::vector<ExtentStat> after = ByExtent(store_->Stat());
  for (uint32_t e = 1; e < after.size(); ++e) {
    if (after[e].owner != before[e].owner || after[e].write_pointer != before[e].write_pointer) {
      return "after a clean reboot extent " + std::to_string(e) + " is " + after[e].owner + " at " +
             std::to_string(after[e].write_pointer) + "; before it was " + before[e].owner +
             " at " + std::to_string(before[e].write_pointer);
    }
  }
  extents_ = after;
  return CheckEveryKey(faults_before);
}

std::optional<std::string> StoreHarness::Step(const Op& op) {
  const uint64_t faults_before = disk_.stats().faults_injected;
  auto fired = [&] { return disk_.stats().faults_injected > faults_before; };
  const std::string key = KeyName(op.key);
  switch (op.kind) {
    case OpKind::kGet:
      if (auto v = CheckGet(key, faults_before)) return v;
      break;
    case OpKind::kPut: {
      Bytes value = ValueBytes(op.size, op.fill);
      StatusOr<Dependency> put = store_->Put(key, value);
      if (put.ok()) {
        model_.Put(key, std::move(value));
      } else if (put.status().IsNoSpace()) {
        SetNote("NoSpace");
        // The disk may be full only when the values really fill it: half the space data may
        // use (the superblock, index and metadata extents and the reserve kept free excluded).
        const uint64_t usable =
            uint64_t{kGeometry.extent_count - 3 - kPutKeepFreeExtents} * kGeometry.extent_bytes;
        const uint64_t needed = ModelFootprintBytes() + FootprintBytes(key, op.size);
        if (needed <= usable / 2) {
          return "Put returned NoSpace while the values need " + std::to_string(needed) +
                 " bytes of " + std::to_string(usable) + " usable";
        }
      } else {
        return "Put failed: " + Describe(put.status());
      }
      break;
    }
    case OpKind::kDelete: {
      StatusOr<Dependency> deleted = store_->Delete(key);
      if (!deleted.ok()) return "Delete failed: " + Describe(deleted.status());
      model_.Delete(key);
      break;
    }
    case OpKind::kList: {
      StatusOr<std::vector<std::string>> keys = store_->List();
      if (!keys.ok()) return "List failed: " + Describe(keys.status());
      if (*keys != model_.List()) {
        std::string got;
        for (const std::string& k : *keys) got += " " + k;
        std::string want;
        for (const std::string& k : model_.List()) want += " " + k;
        return "List returned [" + got + " ]; the model holds [" + want + " ]";
      }
      break;
    }
    case OpKind::kIndexFlush:
      if (Status s = store_->Flush(); !s.ok()) return "Flush failed: " + Describe(s);
      break;
    case OpKind::kCompact:
      if (Status s = store_->Compact(); !s.ok()) return "Compact failed: " + Describe(s);
      break;
    case OpKind::kReclaim: {
      const std::vector<uint32_t> candidates = ReclaimCandidates();
      if (candidates.empty()) {
        SetNote("nothing to reclaim");
        break;
      }
      const uint32_t extent = candidates[op.selector % candidates.size()];
      SetNote("extent " + std::to_string(extent));
      const Status s = store_->Reclaim(extent);
      // NoSpace: no room to move the live chunks to; the extent stays as it was.
      if (!s.ok() && !s.IsNoSpace() && !(s.IsIOError() && fired())) {
        return "Reclaim(extent " + std::to_string(extent) + ") failed: " + Describe(s);
      }
      break;
    }
    case OpKind::kReboot:
      if (auto v = Reboot(faults_before)) return v;
      break;
    case OpKind::kFailDiskOnce: {
      if (op.io == FaultIo::kWrite) {
        SetNote("write faults belong to the crash harness; ignored");
        break;
      }
      std::vector<uint32_t> used;
      for (const ExtentStat& e : store_->Stat().extents) used.push_back(e.extent);
      const uint32_t extent = used[op.selector % used.size()];
      disk_.FailNext(extent, IoKind::kRead, op.skip);
      SetNote("extent " + std::to_string(extent));
      break;
    }
    default:
      return "the store harness has no " + std::string(OpKindName(op.kind));
  }
  return CheckInvariants();
}

std::optional<std::string> StoreHarness::CheckInvariants() {
  const StoreStat stat = store_->Stat();
  const std::vector<ExtentStat> now = ByExtent(stat);
  uint64_t data_live = 0;
  for (uint32_t e = 1; e < now.size(); ++e) {
    const ExtentStat& was = extents_[e];
    const ExtentStat& is = now[e];
    if (is.live_bytes > is.write_pointer) {
      return "extent " + std::to_string(e) + " holds " + std::to_string(is.live_bytes) +
             " live bytes below a write pointer of " + std::to_string(is.write_pointer);
    }
    if (is.owner != "free" && was.owner != "free" && is.write_pointer < was.write_pointer &&
        is.resets == was.resets) {
      return "the write pointer of extent " + std::to_string(e) + " moved back from " +
             std::to_string(was.write_pointer) + " to " + std::to_string(is.write_pointer) +
             " without a reset";
    }
    if (is.owner == "data") data_live += is.live_bytes;
  }
  extents_ = now;
  if (stat.keys != model_.List().size()) {
    return "the store holds " + std::to_string(stat.keys) + " keys; the model holds " +
           std::to_string(model_.List().size());
  }
  if (const uint64_t want = ModelFootprintBytes(); data_live != want) {
    return "data extents hold " + std::to_string(data_live) +
           " live bytes; the model's values need " + std::to_string(want);
  }
  return std::nullopt;
}

std::optional<std::string> StoreHarness::FinishChecks() {
  return CheckEveryKey(disk_.stats().faults_injected);
}

}  // namespace shardstore::checker
