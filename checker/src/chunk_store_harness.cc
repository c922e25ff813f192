#include "shardstore/checker/chunk_store_harness.h"

#include <algorithm>

#include "chunk/chunk_format.h"
#include "shardstore/sim/coverage.h"

namespace shardstore::checker {
namespace {

SS_COVERAGE_POINT(kCacheDropped, "checker: chunk harness dropped the read cache and read back");
SS_COVERAGE_POINT(kColdReadOfDamagedChunk,
                  "checker: a read that must bypass the cache found a flipped chunk (violation)");

std::string Describe(const Status& status) { return status.ok() ? "OK" : status.ToString(); }

ChunkStoreOptions OptionsFor(MemDisk* disk) {
  ChunkStoreOptions options;
  options.disk = disk;
  options.format_if_blank = true;
  options.read_cache_bytes = 64 * 1024;
  return options;
}

std::string DescribeValue(const models::ChunkStoreModel::Value& value) {
  if (!value) return "nothing";
  return "chunk " + std::string(ShortKey(value->key)) + " of " +
         std::to_string(value->payload.size()) + " bytes";
}

}  // namespace

ChunkStoreHarness::ChunkStoreHarness(std::optional<CrashExploration> explore)
    : disk_(kGeometry), write_pointers_(kGeometry.extent_count, 0) {
  const std::optional<std::string> opened = Open();
  SS_ASSERT_MSG(!opened, *opened);
  // What the store reported persistent before a flush is owed after a power cut at that flush:
  // note it at every flush, explored or not, so a crash the explorer found replays the same.
  disk_.SetFlushObserver([this] { SettleWrites(/*failures=*/false); });
  if (explore) {
    explorer_.emplace(*explore);
    disk_.SetBarrierObserver([this](std::unique_ptr<MemDisk> snapshot) {
      explorer_->AtBarrier(std::move(snapshot), [this](MemDisk* disk) {
        StatusOr<std::unique_ptr<ChunkStore>> store = ChunkStore::Open(OptionsFor(disk));
        if (!store.ok()) {
          return std::optional<std::string>("recovery failed: " + Describe(store.status()));
        }
        return CheckRecovered(store->get(), /*adopt=*/false);
      });
    });
  }
}

ChunkStoreHarness::~ChunkStoreHarness() {
  disk_.SetBarrierObserver(nullptr);
  disk_.SetFlushObserver(nullptr);
  store_.reset();
}

std::optional<std::string> ChunkStoreHarness::Open() {
  store_.reset();
  StatusOr<std::unique_ptr<ChunkStore>> opened = ChunkStore::Open(OptionsFor(&disk_));
  if (!opened.ok()) return Failed("opening", opened.status());
  store_ = std::move(opened).value();
  for (const Locator& at : appended_) cold_.insert(at);  // a fresh store caches nothing
  return std::nullopt;
}

std::vector<Locator> ChunkStoreHarness::Held() const {
  std::vector<Locator> held;
  for (const auto& [at, writes] : model_.writes()) {
    if (writes.back().value) held.push_back(at);
  }
  return held;
}

void ChunkStoreHarness::SettleWrites(bool failures) {
  std::erase_if(unsettled_, [&](const Tracked& t) {
    if (t.dependency.IsPersistent()) {
      model_.Persisted(t.id);
      return true;
    }
    if (failures && t.dependency.Failed()) {
      model_.Failed(t.id);
      return true;
    }
    return false;
  });
}

std::optional<std::string> ChunkStoreHarness::CheckRead(const Locator& at, bool uncached) {
  StatusOr<ChunkStore::Chunk> got = uncached ? store_->ReadUncached(at) : store_->Read(at);
  const models::ChunkStoreModel::Value& want = model_.Current(at);
  const bool damaged = damaged_.contains(at);
  // No cached copy may serve this read: the bytes came from the medium.
  const bool from_medium = uncached || cold_.contains(at);
  if (got.ok() && !uncached) cold_.erase(at);
  if (!want) {
    if (got.ok()) {
      return "Read(" + at.ToString() + ") returned chunk " + got->key +
             " but its extent was reset since";
    }
    return std::nullopt;
  }
  if (!got.ok()) {
    // Flipped bits are caught by the checksums.
    if (damaged && got.status().IsCorruption()) return std::nullopt;
    return Failed("Read(" + at.ToString() + ")", got.status());
  }
  if (from_medium && damaged_on_medium_.contains(at)) {
    SS_COVER(kColdReadOfDamagedChunk);
    return "Read(" + at.ToString() + ") returned chunk " + std::string(ShortKey(got->key)) +
           " although a bit of it was flipped on the disk and no cached copy may serve the read" +
           (uncached ? " (read uncached)" : " (the read cache was dropped since)");
  }
  if (got->key != want->key || got->payload != want->payload) {
    return "Read(" + at.ToString() + ") returned chunk " + got->key + " of " +
           std::to_string(got->payload.size()) + " bytes; the model holds " + DescribeValue(want) +
           (got->key == want->key ? " with other bytes" : "") +
           (damaged ? " (a bit of it was flipped on the disk)" : "");
  }
  return std::nullopt;
}

std::optional<std::string> ChunkStoreHarness::CheckRecovered(ChunkStore* store, bool adopt) {
  for (const auto& [at, writes] : model_.writes()) {
    StatusOr<ChunkStore::Chunk> got = store->ReadUncached(at);
    models::ChunkStoreModel::Value observed;
    if (got.ok()) {
      observed = models::Chunk{got->key, std::move(got->payload)};
    } else if (!got.status().IsCorruption()) {
      // Nothing there reads as Corruption (past the write pointer, or not a frame); any other
      // error after a clean open is the store's.
      return "after the power cut Read(" + at.ToString() + ") failed: " + Describe(got.status());
    }
    const bool allowed = std::any_of(writes.begin(), writes.end(),
                                     [&](const models::ChunkStoreModel::Version& w) {
                                       return w.value == observed;
                                     }) ||
                         (!observed && damaged_.contains(at));
    if (!allowed) {
      std::string may;
      for (const models::ChunkStoreModel::Version& w : writes) {
        may += (may.empty() ? "" : " or ") + DescribeValue(w.value);
      }
      return "after the power cut Read(" + at.ToString() + ") returned " + DescribeValue(observed) +
             "; a crash may leave only " + may;
    }
    if (adopt) model_.Recovered(at, std::move(observed));
  }
  return std::nullopt;
}

std::optional<std::string> ChunkStoreHarness::RecoverFromPowerCut() {
  // What became persistent before the cut must survive it; a Dependency failed by the cut says
  // nothing (its write may or may not have reached the disk).
  SettleWrites(/*failures=*/false);
  unsettled_.clear();
  store_.reset();
  disk_.Revive();
  if (auto v = Open()) return "after the power cut, " + *v;
  if (auto v = CheckRecovered(store_.get(), /*adopt=*/true)) return v;
  // A power cut may roll write pointers back to what the last superblock recorded.
  const std::vector<ChunkStore::ExtentInfo> extents = store_->Extents();
  for (uint32_t e = 0; e < extents.size(); ++e) write_pointers_[e] = extents[e].write_pointer;
  return std::nullopt;
}

std::optional<std::string> ChunkStoreHarness::Step(const Op& op) {
  if (explorer_) explorer_->BeginStep();
  const std::vector<ChunkStore::ExtentInfo> before = store_->Extents();
  std::optional<std::string> violation = RunOp(op);
  if (explorer_ && explorer_->violation()) return explorer_->violation();
  // The op's results mean nothing once the power went out in its middle.
  if (disk_.dead()) return RecoverFromPowerCut();
  if (violation) return violation;
  SettleWrites(/*failures=*/true);
  // Write pointers only move back on reset.
  const std::vector<ChunkStore::ExtentInfo> extents = store_->Extents();
  for (uint32_t e = 1; e < kGeometry.extent_count; ++e) {
    if (extents[e].resets == before[e].resets && extents[e].write_pointer < write_pointers_[e]) {
      return "the write pointer of extent " + std::to_string(e) + " moved back from " +
             std::to_string(write_pointers_[e]) + " to " +
             std::to_string(extents[e].write_pointer) + " without a reset";
    }
    write_pointers_[e] = extents[e].write_pointer;
  }
  return std::nullopt;
}

std::optional<std::string> ChunkStoreHarness::RunOp(const Op& op) {
  switch (op.kind) {
    case OpKind::kRead: {
      if (appended_.empty()) {
        SetNote("nothing appended yet");
        return std::nullopt;
      }
      const Locator at = appended_[op.selector % appended_.size()];
      SetNote(at.ToString());
      return CheckRead(at, /*uncached=*/false);
    }
    case OpKind::kAppend: {
      ChunkHeader header;
      header.sequence = store_->NextSequence();
      const std::string key = PoolKey(op.key);
      const Bytes payload = ValueBytes(op.size, op.fill);
      StatusOr<ChunkStore::Appended> result =
          store_->Append(ExtentOwner::kData, header, key, payload, Dependency());
      const bool too_big =
          ChunkFrameBytes(static_cast<uint32_t>(key.size()),
                          static_cast<uint32_t>(payload.size())) > kGeometry.extent_bytes;
      if (key.size() > kKeyBytesMax || too_big) {
        // Refused before anything is reserved or written.
        SetNote("refused");
        if (result.status().IsInvalidArgument()) return std::nullopt;
        return "Append of a key of " + std::to_string(key.size()) + " bytes and " +
               std::to_string(payload.size()) + " bytes of payload returned " +
               Describe(result.status()) +
               "; a key past kKeyBytesMax or a frame larger than an extent must be refused with "
               "InvalidArgument";
      }
      if (result.status().IsNoSpace()) {
        SetNote("NoSpace");  // a full disk may refuse
        return std::nullopt;
      }
      if (!result.ok()) return Failed("Append", result.status());
      SetNote(result->locator.ToString());
      // Appends never overwrite: the new chunk overlaps none still there.
      for (const Locator& at : Held()) {
        if (at.extent == result->locator.extent && at.offset < result->locator.end() &&
            result->locator.offset < at.end()) {
          return "Append returned " + result->locator.ToString() + ", overlapping chunk " +
                 std::string(ShortKey(model_.Current(at)->key)) + " still at " + at.ToString();
        }
      }
      const uint64_t id = model_.Write(result->locator, models::Chunk{key, payload});
      unsettled_.push_back({id, result->dependency});
      appended_.push_back(result->locator);
      return std::nullopt;
    }
    case OpKind::kReset: {
      std::vector<uint32_t> extents;  // those holding chunks, ascending
      for (const Locator& at : Held()) {
        if (extents.empty() || extents.back() != at.extent) extents.push_back(at.extent);
      }
      if (extents.empty()) {
        SetNote("no extent holds chunks");
        return std::nullopt;
      }
      const uint32_t extent = extents[op.selector % extents.size()];
      SetNote("extent " + std::to_string(extent));
      StatusOr<Dependency> reset = store_->Reset(extent);
      if (!reset.ok()) return Failed("Reset", reset.status());
      for (const Locator& at : Held()) {
        if (at.extent != extent) continue;
        unsettled_.push_back({model_.Write(at, std::nullopt), *reset});
      }
      // Chunks that read as absent (one recovered damaged, say) go with their extent too.
      auto in_extent = [&](const Locator& at) { return at.extent == extent; };
      std::erase_if(damaged_, in_extent);
      std::erase_if(damaged_on_medium_, [&](const auto& entry) { return in_extent(entry.first); });
      return std::nullopt;
    }
    case OpKind::kCorrupt: {
      const std::vector<Locator> held = Held();
      if (held.empty()) {
        SetNote("no chunk held");
        return std::nullopt;
      }
      const Locator at = held[op.selector % held.size()];
      const uint32_t bit = op.size % (at.length * 8);
      disk_.CorruptByte(at.extent, at.offset + bit / 8, static_cast<uint8_t>(1u << bit % 8));
      damaged_.insert(at);
      // Durable (every older write settled away): no queued copy will overwrite the flip.
      if (model_.writes().at(at).size() == 1) {
        std::set<uint32_t>& bits = damaged_on_medium_[at];
        if (!bits.erase(bit)) bits.insert(bit);
        if (bits.empty()) damaged_on_medium_.erase(at);
      }
      SetNote(at.ToString() + " byte " + std::to_string(bit / 8));
      return std::nullopt;
    }
    case OpKind::kFlush:
      if (Status s = store_->Flush(); !s.ok()) return Failed("Flush", s);
      return std::nullopt;
    case OpKind::kDropCache: {
      // Every read below must go to the medium (or the write queue): a store that serves a
      // chunk it should have read from the disk shows here.
      store_->DropReadCache();
      for (const Locator& at : appended_) cold_.insert(at);
      SS_COVER(kCacheDropped);
      for (const Locator& at : Held()) {
        if (auto v = CheckRead(at, /*uncached=*/false)) return v;
      }
      return std::nullopt;
    }
    case OpKind::kReboot: {
      if (Status s = store_->Flush(); !s.ok()) return Failed("Flush", s);
      // Forward progress: a flush makes every append and reset persistent.
      for (const Tracked& t : unsettled_) {
        if (!t.dependency.IsPersistent()) {
          return "after a flush a Dependency is not persistent: " +
                 Describe(t.dependency.Failure());
        }
      }
      if (auto v = Open()) return v;
      return FinishChecks();
    }
    case OpKind::kDirtyReboot:
      if (CutPowerAsOp(disk_, op, [&] { store_->Flush().IgnoreError(); })) SetNote("armed");
      return std::nullopt;
    default:
      return "the chunk store harness has no " + std::string(OpKindName(op.kind));
  }
}

std::optional<std::string> ChunkStoreHarness::FinishChecks() {
  for (const Locator& at : appended_) {
    if (auto v = CheckRead(at, /*uncached=*/true)) return v;
  }
  return std::nullopt;
}

}  // namespace shardstore::checker
