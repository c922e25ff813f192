#include "shardstore/checker/store_harness.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "chunk/chunk_format.h"
#include "shardstore/sim/coverage.h"
#include "superblock/superblock.h"
#include "util/coding.h"

namespace shardstore::checker {
namespace {

std::string Describe(const Status& status) { return status.ok() ? "OK" : status.ToString(); }

std::string DescribeValue(const models::KvModel::Value& value) {
  return value ? std::to_string(value->size()) + " bytes" : "no value";
}

// A value as a report shows it beside the model's: its size and first bytes.
std::string ShowValue(const models::KvModel::Value& value) {
  if (!value) return "no value";
  std::string text = std::to_string(value->size()) + " bytes";
  char hex[4];
  for (size_t i = 0; i < std::min<size_t>(value->size(), 4); ++i) {
    std::snprintf(hex, sizeof hex, " %02x", static_cast<unsigned>((*value)[i]));
    text += i == 0 ? ":" : "";
    text += hex;
  }
  return value->size() > 4 ? text + " …" : text;
}

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

// Get, read again while an injected read fault fires in it (each fires once).
StatusOr<Bytes> GetThroughFaults(Store* store, const MemDisk& disk, const std::string& key) {
  for (uint64_t fired = disk.stats().faults_injected;;) {
    StatusOr<Bytes> got = store->Get(key);
    const uint64_t now = disk.stats().faults_injected;
    if (!got.status().IsIOError() || now == fired) return got;
    fired = now;
  }
}

SS_COVERAGE_POINT(kCorruptData, "checker: store harness flipped a bit of a live data chunk");
SS_COVERAGE_POINT(kCorruptRun, "checker: store harness flipped a bit of a live index run chunk");
SS_COVERAGE_POINT(kCorruptMetadata, "checker: store harness flipped a bit of the index metadata");
SS_COVERAGE_POINT(kCorruptSlot0, "checker: store harness flipped a bit of superblock slot 0");
SS_COVERAGE_POINT(kCorruptSlot1, "checker: store harness flipped a bit of superblock slot 1");
SS_COVERAGE_POINT(kDamageRepaired, "checker: a reopen found damage, Corruption; bits flipped back");
SS_COVERAGE_POINT(kOpenedOlderSlot,
                  "checker: a reopen on a damaged superblock slot read a value it once held");
SS_COVERAGE_POINT(kVerifyFoundDamage, "checker: store Verify reported damage on the medium");
SS_COVERAGE_POINT(kCacheDropped, "checker: store harness dropped the read cache and read back");
SS_COVERAGE_POINT(kAtReserve, "checker: a step ended with free extents at the Put reserve");
SS_COVERAGE_POINT(kPutRefusedAtReserve, "checker: a Put was refused NoSpace at the reserve");
SS_COVERAGE_POINT(kFilledToReserve,
                  "checker: Fill reached NoSpace, then deleted and flushed at the reserve");
SS_COVERAGE_POINT(kSlotDamageCompared,
                  "checker: a reopen on a damaged superblock slot compared with the slot erased");
SS_COVERAGE_POINT(kFilledAndKept, "checker: Fill reached NoSpace and left the disk full");
SS_COVERAGE_POINT(kBackgroundReclaimOwed,
                  "checker: a Put or Delete at low free extents owed a reclamation (bytes died "
                  "in a sealed extent)");

}  // namespace

namespace {
size_t ValueHash(const models::KvModel::Value& value) {
  if (!value) return 0;
  return std::hash<std::string_view>()(
             std::string_view(reinterpret_cast<const char*>(value->data()), value->size())) +
         1;
}
}  // namespace

StoreHarness::StoreHarness(std::optional<CrashExploration> explore, bool check_reclamation_cost)
    : disk_(kGeometry), check_reclamation_cost_(check_reclamation_cost) {
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
  died_sealed_.assign(extents_.size(), false);
  // What the store reported persistent before a flush is owed after a power cut at that flush,
  // even if a failed flush later takes the report back: note it at every flush, explored or
  // not, so that a crash the explorer found replays as the same judgement.
  disk_.SetFlushObserver([this] { SettlePersistent(); });
  if (explore) {
    explorer_.emplace(*explore);
    disk_.SetBarrierObserver([this](std::unique_ptr<MemDisk> snapshot) {
      in_barrier_ = true;
      explorer_->AtBarrier(std::move(snapshot), [this](MemDisk* disk) {
        StoreOptions options = options_;
        options.disk = disk;
        slot_damaged_at_open_ = SlotDamaged();
        StatusOr<std::unique_ptr<Store>> store = Store::Open(options);
        if (!store.ok()) {
          // Refusing to open on damage on the medium is allowed.
          if (store.status().IsCorruption() && Damaged()) return std::optional<std::string>();
          return std::optional<std::string>("recovery failed: " + Describe(store.status()));
        }
        return CheckRecovered(store->get(), *disk, /*adopt=*/false, "after the power cut");
      });
      in_barrier_ = false;
    });
  }
}

StoreHarness::~StoreHarness() {
  disk_.SetBarrierObserver(nullptr);
  disk_.SetFlushObserver(nullptr);
  store_.reset();
}

std::vector<std::string> StoreHarness::ModelKeys() const {
  std::vector<std::string> keys;
  for (const auto& [key, writes] : model_.writes()) {
    if (writes.back().value) keys.push_back(key);
  }
  return keys;
}

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

uint64_t StoreHarness::SpaceBytes(const std::string& key, uint64_t value_bytes) const {
  return coding::RoundUp(FootprintBytes(key, value_bytes), kPageBytes);
}

uint64_t StoreHarness::ModelSpaceBytes() const {
  uint64_t bytes = 0;
  for (const auto& [key, writes] : model_.writes()) {
    if (writes.back().value) bytes += SpaceBytes(key, writes.back().value->size());
  }
  return bytes;
}

uint64_t StoreHarness::ModelFootprintBytes() const {
  uint64_t bytes = 0;
  for (const auto& [key, writes] : model_.writes()) {
    if (writes.back().value) bytes += FootprintBytes(key, writes.back().value->size());
  }
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

void StoreHarness::SettlePersistent() {
  std::erase_if(unsettled_, [&](const Tracked& t) {
    if (!t.dependency.IsPersistent()) return false;
    model_.Persisted(t.id);
    return true;
  });
}

std::optional<std::string> StoreHarness::SettleWrites() {
  SettlePersistent();
  // After a power cut the disk is dead until the reboot: a write it failed may still be on the
  // medium (a Put is durable with its data flush, which the cut interrupted), and a store running
  // on a dead disk cannot know. Such writes stay in doubt; the recovery after the cut settles
  // them (RecoverFromPowerCut).
  if (disk_.dead()) return std::nullopt;
  std::set<std::string> keys;  // with a write that failed in this step
  std::erase_if(unsettled_, [&](const Tracked& t) {
    if (!t.dependency.Failed()) return false;
    keys.insert(t.key);
    failed_ids_.insert(t.id);
    return true;
  });
  // A write that failed (an injected write error) is wholly present or wholly absent, and the
  // store says which: reading the key must find, newest first, failed writes that are absent
  // and then one that is present, a write still pending, or the persistent value. (A failed
  // write hidden by a newer one stays undecided until the newer one no longer hides it.)
  for (const std::string& key : keys) {
    StatusOr<Bytes> got = GetThroughFaults(store_.get(), disk_, key);
    models::KvModel::Value observed;
    if (got.ok()) {
      observed = std::move(got).value();
    } else if (const Damage* d = DamagedLiveChunk(store_.get(), key);
               got.status().IsCorruption() && d) {
      observed = d->value;  // the value whose chunk is damaged is the one there
    } else if (!got.status().IsNotFound()) {
      return "after a write failed, Get(" + key + ") returned " + Describe(got.status());
    }
    const std::vector<models::KvModel::Version> writes = model_.writes().at(key);
    for (size_t i = writes.size(); i-- > 0;) {
      if (writes[i].value == observed) break;
      if (i == 0 || !failed_ids_.contains(writes[i].id)) {
        return "after a write failed, Get(" + key + ") returned " + DescribeValue(observed) +
               "; the model holds " + DescribeValue(writes[i].value) +
               (i == 0 ? " durably" : " from a write that did not fail");
      }
      model_.Failed(writes[i].id);
    }
  }
  return std::nullopt;
}

std::optional<std::string> StoreHarness::CheckGet(const std::string& key, uint64_t faults_before) {
  StatusOr<Bytes> got = store_->Get(key);
  const models::KvModel::Value& want = model_.Current(key);
  SetResults(got.ok()                    ? ShowValue(*got)
             : got.status().IsNotFound() ? ShowValue(std::nullopt)
                                         : Describe(got.status()),
             ShowValue(want));
  if (!got.ok()) {
    if (got.status().IsNotFound() && !want) return std::nullopt;
    // A read that failed may fail the Get; it may never return other bytes.
    if (got.status().IsIOError() && disk_.stats().faults_injected > faults_before) {
      return std::nullopt;
    }
    if (got.status().IsCorruption() && Damaged()) return std::nullopt;
    return "Get(" + std::string(ShortKey(key)) + ") returned " + Describe(got.status()) +
           "; the model holds " + DescribeValue(want);
  }
  if (!want) {
    return "Get(" + std::string(ShortKey(key)) + ") returned " + std::to_string(got->size()) +
           " bytes; the model holds no value";
  }
  if (*got != *want) {
    return "Get(" + std::string(ShortKey(key)) + ") returned " + std::to_string(got->size()) +
           " bytes; the model holds " + std::to_string(want->size()) +
           " bytes; they first differ at byte " + std::to_string(FirstDifference(*got, *want));
  }
  return std::nullopt;
}

std::optional<std::string> StoreHarness::CheckEveryKey(uint64_t faults_before) {
  StatusOr<std::vector<std::string>> keys = store_->List();
  if (!keys.ok()) return "List failed: " + Describe(keys.status());
  const std::vector<std::string> want = ModelKeys();
  if (*keys != want) {
    return "List returned " + std::to_string(keys->size()) + " keys; the model holds " +
           std::to_string(want.size());
  }
  for (const std::string& key : want) {
    if (auto v = CheckGet(key, faults_before)) return v;
  }
  // Reading everything back from the disk would consume an armed fault, changing what the
  // sequence means; skip it then.
  if (disk_.faults_armed() == 0) {
    const Status s = store_->Verify();
    if (LiveChunkDamaged()) {
      // Verify reads every live chunk from the medium: it must see the flip.
      if (!s.IsCorruption()) {
        return "Verify returned " + Describe(s) +
               " while a live chunk holds a flipped bit on the medium";
      }
      SS_COVER(kVerifyFoundDamage);
    } else if (!s.ok()) {
      return "Verify failed: " + Describe(s);
    }
  }
  return std::nullopt;
}

std::optional<std::string> StoreHarness::CheckSlotDamageIgnored() {
  // Read-only opens of two copies: the disk as it is, and the disk with every damaged slot
  // erased. A flipped bit makes a slot invalid, so both must open from the same superblock and
  // hold the same; a store that trusted the damaged slot (or rejects the good one) differs.
  std::unique_ptr<MemDisk> as_is = disk_.Snapshot();
  std::unique_ptr<MemDisk> erased = disk_.Snapshot();
  const uint32_t slot_bytes = SuperblockSlotBytes(kGeometry.extent_count);
  // The checksum covers the header and the entries; the zeros after the checksum carry nothing,
  // so a flip there leaves the slot as good as it was (docs/format/superblock.md).
  const uint32_t covered_bytes =
      kSuperblockHeaderBytes + kGeometry.extent_count * kSuperblockEntryBytes + 8;
  bool any = false;
  for (int slot : {0, 1}) {
    const uint32_t at = SuperblockSlotOffset(kGeometry.extent_count, slot);
    if (std::none_of(damage_.begin(), damage_.end(), [&](const Damage& d) {
          return d.slot && d.offset >= at && d.offset < at + covered_bytes && PagePresent(d);
        })) {
      continue;
    }
    SS_ASSERT(erased->Write(0, at, Bytes(slot_bytes, 0)).ok());
    any = true;
  }
  if (!any) return std::nullopt;
  SS_ASSERT(erased->Flush().ok());
  auto code = [](const Status& status) { return std::string(StatusCodeName(status.code())); };
  auto describe = [&](MemDisk* disk) {
    StoreOptions options = options_;
    options.disk = disk;
    options.read_only = true;
    options.format_if_blank = false;
    StatusOr<std::unique_ptr<Store>> store = Store::Open(options);
    if (!store.ok()) return "open: " + code(store.status());
    std::string text = "superblock " + std::to_string((*store)->Stat().superblock_sequence);
    for (const ExtentStat& e : (*store)->Stat().extents) {
      text += ", extent " + std::to_string(e.extent) + " " + e.owner + " at " +
              std::to_string(e.write_pointer);
    }
    StatusOr<std::vector<std::string>> keys = (*store)->List();
    if (!keys.ok()) return text + ", List: " + code(keys.status());
    for (const std::string& key : *keys) {
      StatusOr<Bytes> got = (*store)->Get(key);
      text += ", " + std::string(ShortKey(key)) + ": " +
              (got.ok() ? std::to_string(ValueHash(*got)) : code(got.status()));
    }
    return text;
  };
  const std::string with_damage = describe(as_is.get());
  const std::string without_slot = describe(erased.get());
  if (with_damage == without_slot) return std::nullopt;
  return "a reopen trusted a damaged superblock slot: with the damage it reads [" + with_damage +
         "]; with that slot erased [" + without_slot + "]";
}

std::optional<std::string> StoreHarness::Open(uint64_t faults_before) {
  // A transient read error may fail an open, and each attempt consumes one: retry while they
  // fire (bounded, as the armed faults are).
  slot_damaged_at_open_ = SlotDamaged();
  if (slot_damaged_at_open_) {
    SS_COVER(kSlotDamageCompared);
    if (auto v = CheckSlotDamageIgnored()) return v;
  }
  for (uint64_t fired = faults_before;;) {
    StatusOr<std::unique_ptr<Store>> opened = Store::Open(options_);
    if (opened.ok()) {
      store_ = std::move(opened).value();
      seen_copied_bytes_ = seen_freed_bytes_ = 0;  // a new store counts from zero
      newest_chunks_.clear();                      // and its memtable is empty
      replaced_chunks_.clear();
      // Reset counts start again with each store.
      const std::vector<ExtentStat> extents = ByExtent(store_->Stat());
      for (Damage& d : damage_) d.resets = extents[d.extent].resets;
      died_sealed_.assign(extents.size(), false);
      faults_at_open_ = disk_.stats().faults_injected;
      return std::nullopt;
    }
    const uint64_t now = disk_.stats().faults_injected;
    if (opened.status().IsCorruption() && Damaged()) {
      // Refusing to open on damage is allowed; with the sectors restored it must open.
      SS_COVER(kDamageRepaired);
      RepairDamage();
      continue;
    }
    if (!opened.status().IsIOError() || now == fired) {
      return Failed("reopening", opened.status());
    }
    fired = now;
  }
}

std::optional<std::string> StoreHarness::Reboot(uint64_t faults_before) {
  const Status shutdown = store_->Shutdown();
  const StoreStat at_shutdown = store_->Stat();
  AccountReclamation(at_shutdown);  // a shutdown's flush may reclaim
  const std::vector<ExtentStat> before = ByExtent(at_shutdown);
  if (!shutdown.ok()) {
    // An injected write error may fail the shutdown (damage, the room it kept: SpaceKeptByDamage),
    // and nothing else may. What it did not make persistent may or may not survive, as after a
    // power cut.
    const bool io_error =
        shutdown.IsIOError() && disk_.stats().faults_injected > faults_at_clean_flush_;
    if (!io_error && !(shutdown.IsNoSpace() && SpaceKeptByDamage())) {
      return Failed("Shutdown", shutdown);
    }
    SettlePersistent();
    unsettled_.clear();
    store_.reset();
    if (auto v = Open(faults_before)) return v;
    extents_ = ByExtent(store_->Stat());
    return CheckRecovered(store_.get(), disk_, /*adopt=*/true, "after the failed shutdown");
  }
  faults_at_clean_flush_ = disk_.stats().faults_injected;
  // Forward progress: a clean shutdown makes every change persistent.
  for (const Tracked& t : unsettled_) {
    if (!t.dependency.IsPersistent()) {
      return "after a clean shutdown a write's Dependency is not persistent: " +
             Describe(t.dependency.Failure());
    }
  }
  SettlePersistent();
  // A failed write leaves a hole its extent's write pointer had already passed: the table then
  // comes back as the superblock recorded it, without the hole.
  // A damaged superblock slot may make the open fall back to the other, older slot, whose
  // table is older (its keys must still read back).
  const bool slot_damaged = SlotDamaged();
  const bool faultless = disk_.stats().faults_injected == faults_at_open_ && !slot_damaged;
  store_.reset();
  if (auto v = Open(faults_before)) return v;
  const std::vector<ExtentStat> after = ByExtent(store_->Stat());
  for (uint32_t e = 1; e < after.size() && faultless; ++e) {
    if (after[e].owner != before[e].owner || after[e].write_pointer != before[e].write_pointer) {
      return "after a clean reboot extent " + std::to_string(e) + " is " + after[e].owner + " at " +
             std::to_string(after[e].write_pointer) + "; before it was " + before[e].owner +
             " at " + std::to_string(before[e].write_pointer);
    }
  }
  extents_ = after;
  if (slot_damaged) {
    return CheckRecovered(store_.get(), disk_, /*adopt=*/true, "after a reboot on a damaged slot");
  }
  return CheckEveryKey(faults_before);
}

std::optional<std::string> StoreHarness::CheckRecovered(Store* store, const MemDisk& disk,
                                                        bool adopt, std::string_view after) {
  std::vector<std::string> present;
  std::set<std::string> hidden;
  for (const auto& [key, writes] : model_.writes()) {
    StatusOr<Bytes> got = GetThroughFaults(store, disk, key);
    models::KvModel::Value observed;
    if (got.ok()) {
      observed = std::move(got).value();
    } else if (got.status().IsCorruption() && Damaged()) {
      // Damage on the medium hides the value: the one its damaged chunk is part of, if that is
      // what came back (a value the model allows, or one the key held before if the store
      // opened from the older slot); else the model keeps what it allows.
      const Damage* d = DamagedLiveChunk(store, key);
      const bool held_before = d && slot_damaged_at_open_ && HeldBefore(key, d->value);
      if (!d || (!held_before && std::none_of(writes.begin(), writes.end(), [&](const auto& w) {
            return w.value == d->value;
          }))) {
        hidden.insert(key);
        continue;
      }
      if (held_before) SS_COVER(kOpenedOlderSlot);
      present.push_back(key);
      if (adopt) model_.Recovered(key, d->value);
      continue;
    } else if (!got.status().IsNotFound()) {
      return std::string(after) + " Get(" + std::string(ShortKey(key)) + ") returned " +
             Describe(got.status());
    }
    // With a superblock slot damaged the store may have opened from the other, older slot.
    bool older_slot = false;
    if (slot_damaged_at_open_ && history_.contains(key)) {
      const size_t before = history_.at(key).size();
      Remember(key, observed);
      older_slot = history_.at(key).size() == before;
    }
    if (older_slot) SS_COVER(kOpenedOlderSlot);
    if (!older_slot &&
        std::none_of(writes.begin(), writes.end(),
                     [&](const models::KvModel::Version& w) { return w.value == observed; })) {
      std::string allowed, allowed_shown;
      for (const models::KvModel::Version& w : writes) {
        allowed += (allowed.empty() ? "" : " or ") + DescribeValue(w.value);
        allowed_shown += (allowed_shown.empty() ? "" : " or ") + ShowValue(w.value);
      }
      SetResults(ShowValue(observed), allowed_shown);
      return std::string(after) + " Get(" + std::string(ShortKey(key)) + ") returned " +
             DescribeValue(observed) + "; a crash may leave only " + allowed;
    }
    if (observed) present.push_back(key);
    if (adopt) model_.Recovered(key, std::move(observed));
  }
  StatusOr<std::vector<std::string>> keys = store->List();
  if (!keys.ok()) return std::string(after) + " List failed: " + Describe(keys.status());
  std::erase_if(*keys, [&](const std::string& k) { return hidden.contains(k); });
  if (*keys != present) {
    return std::string(after) + " List returned " + std::to_string(keys->size()) +
           " keys; Get found " + std::to_string(present.size());
  }
  // Reading everything back would consume armed faults; skip it then.
  if (disk.faults_armed() > 0) return std::nullopt;
  if (Status s = store->Verify(); !s.ok() && !(s.IsCorruption() && Damaged())) {
    return std::string(after) + " Verify failed: " + Describe(s);
  }
  return std::nullopt;
}

std::optional<std::string> StoreHarness::RecoverFromPowerCut() {
  // What became persistent before the cut must survive it. A Dependency failed by the cut
  // says nothing: its write may or may not have reached the disk.
  for (const Tracked& t : unsettled_) {
    if (t.dependency.IsPersistent()) model_.Persisted(t.id);
  }
  unsettled_.clear();
  store_.reset();
  disk_.Revive();
  disk_.ClearFaults();
  if (auto v = Open(disk_.stats().faults_injected)) return "after the power cut, " + *v;
  if (auto v = CheckRecovered(store_.get(), disk_, /*adopt=*/true, "after the power cut")) return v;
  extents_ = ByExtent(store_->Stat());
  return std::nullopt;
}

std::optional<std::string> StoreHarness::Step(const Op& op) {
  if (explorer_) explorer_->BeginStep();
  const uint64_t faults_before = disk_.stats().faults_injected;
  std::optional<std::string> violation = RunOp(op, faults_before);
  if (explorer_ && explorer_->violation()) return explorer_->violation();
  // The op's results mean nothing once the power went out in its middle.
  if (disk_.dead()) {
    if (auto v = RecoverFromPowerCut()) return v;
    if (explorer_ && explorer_->violation()) return explorer_->violation();  // while recovering
    return CheckInvariants();
  }
  if (violation) return violation;
  if (auto v = SettleWrites()) return v;
  return CheckInvariants();
}

std::optional<std::string> StoreHarness::RunOp(const Op& op, uint64_t faults_before) {
  // An injected fault may fail the step it fires in, and every later one until a flush
  // succeeds (the store reports failed writes at its next flush), with IOError and nothing else.
  auto fired = [&] { return disk_.stats().faults_injected > faults_at_clean_flush_; };
  auto unexpected = [&](const Status& s) {
    return !s.ok() && !(s.IsIOError() && fired()) && !(s.IsCorruption() && Damaged());
  };
  auto lost_space = [&](const Status& s) { return s.IsNoSpace() && SpaceKeptByDamage(); };
  auto flushed = [&](const Status& s) {
    if (s.ok()) faults_at_clean_flush_ = disk_.stats().faults_injected;
    return s;
  };
  const std::string key = PoolKey(op.key);
  if (key.size() > kKeyBytesMax &&
      (op.kind == OpKind::kGet || op.kind == OpKind::kPut || op.kind == OpKind::kDelete)) {
    return CheckRefusesKey(op, key);
  }
  switch (op.kind) {
    case OpKind::kGet:
      return CheckGet(key, faults_before);
    case OpKind::kPut: {
      Bytes value = ValueBytes(op.size, op.fill);
      Remember(key, std::nullopt);
      Remember(key, value);
      const uint64_t id = model_.Write(key, value);
      StatusOr<Dependency> put = store_->Put(key, value);
      if (put.ok()) {
        unsettled_.push_back({id, key, std::move(put).value()});
        return CheckBackgroundReclaim("Put(" + std::string(ShortKey(key)) + ")");
      }
      model_.Failed(id);
      // A Put that fails is wholly absent; an injected write error may fail it, and damage on
      // the medium may fail the reclamation it needed.
      if (put.status().IsIOError() && fired()) return std::nullopt;
      if (put.status().IsCorruption() && Damaged()) return std::nullopt;
      if (!put.status().IsNoSpace()) return Failed("Put", put.status());
      SetNote("NoSpace");
      // The disk may be full only when the values really fill it: half the space data may
      // use (the superblock, index and metadata extents and the reserve kept free excluded; the
      // reserve grows with the index, so the store reports it).
      const StoreStat stat = store_->Stat();
      const uint64_t usable =
          uint64_t{kGeometry.extent_count - 3 - stat.put_reserve_extents} * kGeometry.extent_bytes;
      const uint64_t needed = ModelSpaceBytes() + SpaceBytes(key, op.size);
      if (needed <= usable / 2 && !SpaceKeptByDamage()) {
        return "Put returned NoSpace while the values need " + std::to_string(needed) +
               " bytes of " + std::to_string(usable) + " usable";
      }
      // A Put may open any extent but the reserve's: with more free, it had room.
      if (stat.free_extents > stat.put_reserve_extents && !SpaceKeptByDamage()) {
        return "Put returned NoSpace with " + std::to_string(stat.free_extents) +
               " extents free; a Put may use all but " + std::to_string(stat.put_reserve_extents);
      }
      SS_COVER(kPutRefusedAtReserve);
      return std::nullopt;
    }
    case OpKind::kDelete: {
      // A key with a value gets a tombstone, and a Delete that writes one reclaims first.
      const bool had_value = model_.Current(key).has_value();
      const uint64_t id = model_.Write(key, std::nullopt);
      StatusOr<Dependency> deleted = store_->Delete(key);
      if (!deleted.ok()) {
        model_.Failed(id);
        if (deleted.status().IsIOError() && fired()) return std::nullopt;
        return Failed("Delete", deleted.status());
      }
      unsettled_.push_back({id, key, std::move(deleted).value()});
      if (!had_value) return std::nullopt;
      return CheckBackgroundReclaim("Delete(" + std::string(ShortKey(key)) + ")");
    }
    case OpKind::kList: {
      StatusOr<std::vector<std::string>> keys = store_->List();
      if (!keys.ok())
        return unexpected(keys.status()) ? Failed("List", keys.status())
                                         : std::optional<std::string>();
      if (*keys != ModelKeys()) {
        std::string got;
        for (const std::string& k : *keys) got += " " + k;
        std::string want;
        for (const std::string& k : ModelKeys()) want += " " + k;
        return "List returned [" + got + " ]; the model holds [" + want + " ]";
      }
      return std::nullopt;
    }
    case OpKind::kIndexFlush:
      if (Status s = flushed(store_->Flush()); unexpected(s) && !lost_space(s)) {
        return Failed("Flush", s);
      }
      return std::nullopt;
    case OpKind::kCompact:
      if (Status s = store_->Compact(); unexpected(s) && !lost_space(s)) {
        return Failed("Compact", s);
      }
      return std::nullopt;
    case OpKind::kReclaim: {
      const std::vector<uint32_t> candidates = ReclaimCandidates();
      if (candidates.empty()) {
        SetNote("nothing to reclaim");
        return std::nullopt;
      }
      const uint32_t extent = candidates[op.selector % candidates.size()];
      SetNote("extent " + std::to_string(extent));
      const Status s = store_->Reclaim(extent);
      // NoSpace: no room to move the live chunks to; the extent stays as it was.
      if (unexpected(s) && !s.IsNoSpace()) {
        return Failed("Reclaim(extent " + std::to_string(extent) + ")", s);
      }
      return std::nullopt;
    }
    case OpKind::kReboot:
      return Reboot(faults_before);
    case OpKind::kDropCache: {
      // Every Get below must go to the disk: a store that serves a chunk it should have read
      // from the medium, or reads the medium wrong, shows here.
      StoreInternals(*store_).DropReadCache();
      SS_COVER(kCacheDropped);
      for (const std::string& k : ModelKeys()) {
        if (auto v = CheckGet(k, faults_before)) return v;
      }
      // A key whose live chunk holds a flip on the medium cannot read back now.
      const std::vector<LiveChunk> live = StoreInternals(*store_).LiveChunks();
      for (const Damage& d : damage_) {
        if (d.slot || d.chunk.kind != LiveChunk::Kind::kData || !Damaged()) continue;
        const bool still_live = std::any_of(live.begin(), live.end(), [&](const LiveChunk& c) {
          return c.kind == d.chunk.kind && c.locator == d.chunk.locator && c.key == d.chunk.key;
        });
        if (!still_live || !PagePresent(d)) continue;
        StatusOr<Bytes> got = store_->Get(d.chunk.key);
        if (!got.status().IsCorruption() && disk_.stats().faults_injected == faults_before) {
          return "after DropCache Get(" + std::string(ShortKey(d.chunk.key)) + ") returned " +
                 (got.ok() ? std::to_string(got->size()) + " bytes" : Describe(got.status())) +
                 " although its chunk at " + d.chunk.locator.ToString() +
                 " holds a flipped bit on the medium";
        }
      }
      return std::nullopt;
    }
    case OpKind::kFill:
      return Fill(op, faults_before);
    case OpKind::kCorrupt: {
      const Status s = flushed(store_->Flush());
      if (unexpected(s) && !lost_space(s)) return Failed("Flush", s);
      if (!s.ok() || disk_.dead()) {
        SetNote("the flush failed: nothing flipped");  // the target may not be on the medium
        return std::nullopt;
      }
      return Corrupt(op);
    }
    case OpKind::kDirtyReboot:
      if (CutPowerAsOp(disk_, op, [&] { store_->Flush().IgnoreError(); })) SetNote("armed");
      return std::nullopt;
    case OpKind::kFailDiskOnce: {
      std::vector<uint32_t> used;
      for (const ExtentStat& e : store_->Stat().extents) used.push_back(e.extent);
      const uint32_t extent = used[op.selector % used.size()];
      disk_.FailNext(extent, op.io == FaultIo::kRead ? IoKind::kRead : IoKind::kWrite, op.skip);
      SetNote("extent " + std::to_string(extent));
      return std::nullopt;
    }
    default:
      return "the store harness has no " + std::string(OpKindName(op.kind));
  }
}

Bytes StoreHarness::PageAt(uint32_t extent, uint32_t offset) const {
  // Looking must not consume an armed fault (or fail on a dead disk): read a copy then.
  Bytes page(kPageBytes);
  const uint32_t at = offset / kPageBytes * kPageBytes;
  auto& disk = const_cast<MemDisk&>(disk_);  // Read is const in all but name
  const bool direct = disk.faults_armed() == 0 && !disk.dead();
  if (!(direct ? disk.Read(extent, at, page) : disk.Snapshot()->Read(extent, at, page)).ok()) {
    page.clear();
  }
  return page;
}

bool StoreHarness::PagePresent(const Damage& d) const {
  // Inside the disk's barrier observer the disk is locked: take the flip as still there.
  if (in_barrier_) return true;
  return PageAt(d.extent, d.offset) == d.page;
}

const StoreHarness::Damage* StoreHarness::DamagedLiveChunk(Store* store, const std::string& key) {
  const std::vector<LiveChunk> live = StoreInternals(*store).LiveChunks();
  for (const Damage& d : damage_) {
    if (d.slot || d.chunk.key != key || !PagePresent(d)) continue;
    if (std::any_of(live.begin(), live.end(), [&](const LiveChunk& c) {
          return c.key == key && c.locator == d.chunk.locator;
        })) {
      return &d;
    }
  }
  return nullptr;
}

bool StoreHarness::SlotDamaged() const {
  return std::any_of(damage_.begin(), damage_.end(),
                     [&](const Damage& d) { return d.slot && PagePresent(d); });
}

void StoreHarness::Remember(const std::string& key, const models::KvModel::Value& value) {
  history_[key].insert(ValueHash(value));
}

bool StoreHarness::HeldBefore(const std::string& key, const models::KvModel::Value& value) const {
  const auto it = history_.find(key);
  return it != history_.end() && it->second.contains(ValueHash(value));
}

bool StoreHarness::Damaged() const {
  return std::any_of(damage_.begin(), damage_.end(),
                     [&](const Damage& d) { return PagePresent(d); });
}

bool StoreHarness::LiveChunkDamaged() {
  const std::vector<LiveChunk> live = StoreInternals(*store_).LiveChunks();
  return std::any_of(damage_.begin(), damage_.end(), [&](const Damage& d) {
    if (d.slot || !PagePresent(d)) return false;
    return std::any_of(live.begin(), live.end(), [&](const LiveChunk& c) {
      return c.kind == d.chunk.kind && c.locator == d.chunk.locator && c.key == d.chunk.key;
    });
  });
}

void StoreHarness::RepairDamage() {
  // Which flips are still there, first: flipping one back changes its page for the others.
  std::vector<const Damage*> present;
  for (const Damage& d : damage_) {
    if (PagePresent(d)) present.push_back(&d);
  }
  for (const Damage* d : present) disk_.CorruptByte(d->extent, d->offset, d->mask);
  damage_.clear();
}

std::optional<std::string> StoreHarness::Corrupt(const Op& op) {
  std::erase_if(damage_, [&](const Damage& d) { return !PagePresent(d); });
  const std::vector<LiveChunk> targets = StoreInternals(*store_).LiveChunks();
  const uint32_t slots = 2;
  const uint32_t n = op.selector % static_cast<uint32_t>(targets.size() + slots);
  Damage d{};
  uint32_t length = 0;
  if (n < targets.size()) {
    d.chunk = targets[n];
    if (d.chunk.kind == LiveChunk::Kind::kData) d.value = model_.Current(d.chunk.key);
    d.extent = d.chunk.locator.extent;
    d.offset = d.chunk.locator.offset;
    length = d.chunk.locator.length;
  } else {
    const int slot = static_cast<int>(n - targets.size());
    d.slot = true;
    d.extent = 0;
    d.offset = SuperblockSlotOffset(kGeometry.extent_count, slot);
    length = SuperblockSlotBytes(kGeometry.extent_count);
    SS_COVER(slot == 0 ? kCorruptSlot0 : kCorruptSlot1);
  }
  const uint32_t bit = op.size % (length * 8);
  d.offset += bit / 8;
  d.mask = static_cast<uint8_t>(1u << bit % 8);
  disk_.CorruptByte(d.extent, d.offset, d.mask);
  d.page = PageAt(d.extent, d.offset);
  d.resets = ByExtent(store_->Stat())[d.extent].resets;
  if (!d.slot) {
    static constexpr std::string_view kKinds[] = {"data chunk", "index run chunk",
                                                  "index metadata chunk"};
    const auto kind = static_cast<size_t>(d.chunk.kind);
    if (d.chunk.kind == LiveChunk::Kind::kData) SS_COVER(kCorruptData);
    if (d.chunk.kind == LiveChunk::Kind::kIndexRun) SS_COVER(kCorruptRun);
    if (d.chunk.kind == LiveChunk::Kind::kIndexMetadata) SS_COVER(kCorruptMetadata);
    SetNote(std::string(kKinds[kind]) +
            (d.chunk.key.empty() ? "" : " of " + std::string(ShortKey(d.chunk.key))) + " at " +
            d.chunk.locator.ToString() + " byte " + std::to_string(bit / 8));
  } else {
    SetNote("superblock slot " + std::to_string(n - targets.size()) + " byte " +
            std::to_string(bit / 8));
  }
  // Flipping the same bit again mends it; earlier flips in the same page stay, in its new image.
  const size_t before = damage_.size();
  std::erase_if(damage_, [&](const Damage& old) {
    return old.extent == d.extent && old.offset == d.offset && old.mask == d.mask;
  });
  const bool mended = damage_.size() < before;
  for (Damage& old : damage_) {
    if (old.extent == d.extent && old.offset / kPageBytes == d.offset / kPageBytes) {
      old.page = d.page;
    }
  }
  if (!mended) damage_.push_back(std::move(d));
  ++flips_;
  return std::nullopt;
}

std::optional<std::string> StoreHarness::Fill(const Op& op, uint64_t faults_before) {
  // Put fresh keys until the store refuses with NoSpace (each Put checked as a Put op is), so
  // the disk reaches the free-extent reserve; then deleting them and flushing the index must
  // still work there.
  std::vector<uint32_t> keys;
  bool full = false;
  for (uint32_t i = 0; i < kFillPutsMax && !full; ++i) {
    const uint32_t key = kKeyCount + i;
    if (auto v = RunOp(op::Put(key, op.size, op.fill), faults_before)) return v;
    if (auto v = SettleWrites()) return v;
    if (auto v = CheckInvariants()) return v;
    full = model_.Current(PoolKey(key)) == std::nullopt;
    if (!full) keys.push_back(key);
  }
  SetNote(std::to_string(keys.size()) + " puts" + (full ? ", then NoSpace" : ""));
  if (!full || disk_.stats().faults_injected > faults_at_open_) return std::nullopt;
  if (op.fill % 2 == 1) {
    // The disk stays full: what follows runs at the reserve (overwrites, deletes, reclaims).
    SS_COVER(kFilledAndKept);
    SetNote(std::to_string(keys.size()) + " puts, then NoSpace; kept");
    return std::nullopt;
  }
  SS_COVER(kFilledToReserve);
  for (uint32_t key : keys) {
    if (auto v = RunOp(op::Delete(key), faults_before)) return v;
    // A delete writes a tombstone chunk, which an armed write fault may fail.
    if (auto v = SettleWrites()) return v;
    if (auto v = CheckInvariants()) return v;
  }
  if (Status s = store_->Flush(); !s.ok()) {
    // A fault armed for later may fire here, as in any flush.
    if ((s.IsIOError() && disk_.stats().faults_injected > faults_at_clean_flush_) ||
        (s.IsNoSpace() && SpaceKeptByDamage())) {
      return std::nullopt;
    }
    return "at the free-extent reserve, Flush after deleting the " + std::to_string(keys.size()) +
           " values put failed: " + Describe(s);
  }
  faults_at_clean_flush_ = disk_.stats().faults_injected;
  SetNote(std::to_string(keys.size()) + " puts, then NoSpace; deleted and flushed");
  return std::nullopt;
}

std::optional<std::string> StoreHarness::CheckRefusesKey(const Op& op, const std::string& key) {
  // A key past the limit is refused before anything is written: the model holds no write of it.
  Status status;
  if (op.kind == OpKind::kGet) status = store_->Get(key).status();
  if (op.kind == OpKind::kPut) status = store_->Put(key, ValueBytes(op.size, op.fill)).status();
  if (op.kind == OpKind::kDelete) status = store_->Delete(key).status();
  SetNote("refused");
  if (!status.IsInvalidArgument()) {
    return std::string(OpKindName(op.kind)) + " of a key of " + std::to_string(key.size()) +
           " bytes returned " + Describe(status) + "; keys longer than " +
           std::to_string(kKeyBytesMax) + " bytes must be refused with InvalidArgument";
  }
  return std::nullopt;
}

bool StoreHarness::SpaceKeptByDamage() const {
  // Damage on the medium keeps an extent whose live chunk reclamation could not read out of
  // (it refuses to reset it rather than lose the value): that space is not held against the
  // store. Injected write faults get no such allowance: the space they cost must come back.
  return Damaged();
}

std::optional<std::string> StoreHarness::CheckInvariants() {
  const StoreStat stat = store_->Stat();
  const std::vector<ExtentStat> now = ByExtent(stat);
  uint64_t data_live = 0;
  uint32_t data_extents = 0;
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
    if (is.owner == "free" || is.resets != was.resets) {
      died_sealed_[e] = false;
    } else if (is.owner == "data" && was.owner == "data" && !was.open && !is.open &&
               is.live_bytes < was.live_bytes) {
      died_sealed_[e] = true;
    }
    // What was flipped in an extent reset since is dead, and the next chunk there overwrites it.
    std::erase_if(damage_, [&](const Damage& d) {
      return !d.slot && d.extent == e && (is.owner == "free" || is.resets != d.resets);
    });
    if (is.owner == "data") {
      data_live += is.live_bytes;
      ++data_extents;
    }
  }
  // The free-extent reserve: Puts never open an extent that leaves fewer than
  // kPutKeepFreeExtents free, and evacuation copies never one that leaves fewer than
  // kEvacuationKeepFreeExtents; only the index may take the last ones. So data never holds
  // more extents than that leaves, and once a reclamation is done (it resets what it copied),
  // never more than the Put reserve leaves — unless damage kept an extent it copied.
  const uint32_t usable_extents = kGeometry.extent_count - 1;
  const bool kept_copies = SpaceKeptByDamage();
  const uint32_t reserve = kept_copies ? kEvacuationKeepFreeExtents : kPutKeepFreeExtents;
  if (data_extents + reserve > usable_extents) {
    return std::to_string(data_extents) + " extents hold data; the free-extent reserve of " +
           std::to_string(reserve) + " leaves data at most " +
           std::to_string(usable_extents - reserve);
  }
  if (stat.free_extents <= kPutKeepFreeExtents) SS_COVER(kAtReserve);
  TrackReplacedChunks(stat, now);
  extents_ = now;
  AccountReclamation(stat);
  if (auto v = CheckReclamationCost()) return v;
  const size_t keys = ModelKeys().size();
  if (stat.keys != keys) {
    return "the store holds " + std::to_string(stat.keys) + " keys; the model holds " +
           std::to_string(keys);
  }
  if (const uint64_t want = ModelFootprintBytes(); data_live != want) {
    return "data extents hold " + std::to_string(data_live) +
           " live bytes; the model's values need " + std::to_string(want);
  }
  return std::nullopt;
}

std::optional<std::string> StoreHarness::CheckBackgroundReclaim(std::string_view what) {
  // A Put or Delete first reclaims while free extents are at or below the threshold, and passes
  // over it only when no sealed extent would free anything, or after a failure: so once bytes
  // died in a sealed extent, the next one must reclaim. With more than an evacuation's reserve
  // free, the emptiest candidate's live chunks fit elsewhere, so its reclamation succeeds
  // (faults and damage aside).
  if (disk_.stats().faults_injected != faults_at_open_ || Damaged()) return std::nullopt;
  uint32_t free = 0;
  for (uint32_t e = 1; e < extents_.size(); ++e) free += extents_[e].owner == "free";
  if (free <= kEvacuationKeepFreeExtents || free > options_.reclaim_free_extents_min) {
    return std::nullopt;
  }
  std::optional<uint32_t> owed;
  for (uint32_t e = 1; e < extents_.size() && !owed; ++e) {
    const ExtentStat& x = extents_[e];
    // As the policy judges it: resetting it frees a worthwhile share (its unwritten rest too),
    // counting as live what the memtable may still keep live.
    uint64_t live = x.live_bytes;
    for (const auto& [at, bytes] : replaced_chunks_) live += at.first == e ? bytes : 0;
    const uint64_t frees =
        kGeometry.extent_bytes - std::min<uint64_t>(live, kGeometry.extent_bytes);
    if (died_sealed_[e] && x.owner == "data" && !x.open &&
        frees >= kGeometry.extent_bytes / kReclaimFreedShareDivisor) {
      owed = e;
    }
  }
  if (!owed) return std::nullopt;
  SS_COVER(kBackgroundReclaimOwed);
  const std::vector<ExtentStat> after = ByExtent(store_->Stat());
  for (uint32_t e = 1; e < after.size(); ++e) {
    // Reset: its count moved, or it is free now (a free extent shows no count).
    const bool freed = after[e].owner == "free" && extents_[e].owner != "free";
    if (freed || after[e].resets != extents_[e].resets) return std::nullopt;
  }
  const ExtentStat& x = extents_[*owed];
  return std::string(what) + " started with " + std::to_string(free) +
         " free extents (background reclamation runs at " +
         std::to_string(options_.reclaim_free_extents_min) + " or fewer) and reclaimed nothing, " +
         "while sealed extent " + std::to_string(*owed) + " held " +
         std::to_string(x.write_pointer - x.live_bytes) + " bytes that died there (" +
         std::to_string(x.live_bytes) + " of its " + std::to_string(kGeometry.extent_bytes) +
         " bytes live)";
}

void StoreHarness::TrackReplacedChunks(const StoreStat& stat, const std::vector<ExtentStat>& now) {
  std::map<std::string, std::vector<Locator>> newest;
  for (const LiveChunk& c : StoreInternals(*store_).LiveChunks()) {
    if (c.kind == LiveChunk::Kind::kData) newest[c.key].push_back(c.locator);
  }
  for (const auto& [key, was] : newest_chunks_) {
    const auto it = newest.find(key);
    for (const Locator& l : was) {
      if (it == newest.end() ||
          std::find(it->second.begin(), it->second.end(), l) == it->second.end()) {
        replaced_chunks_[{l.extent, l.offset}] = l.length;
      }
    }
  }
  // A reset extent holds none of them any more; an empty memtable shadows nothing.
  std::erase_if(replaced_chunks_, [&](const auto& entry) {
    const uint32_t e = entry.first.first;
    return now[e].owner == "free" || now[e].resets != extents_[e].resets;
  });
  if (stat.memtable_entries == 0) replaced_chunks_.clear();
  newest_chunks_ = std::move(newest);
}

void StoreHarness::AccountReclamation(const StoreStat& stat) {
  // Counts only grow within one store; a new store (Open) starts from zero.
  SS_ASSERT(stat.reclaim_copied_bytes >= seen_copied_bytes_);
  SS_ASSERT(stat.reclaim_freed_bytes >= seen_freed_bytes_);
  reclaim_copied_bytes_ += stat.reclaim_copied_bytes - seen_copied_bytes_;
  reclaim_freed_bytes_ += stat.reclaim_freed_bytes - seen_freed_bytes_;
  seen_copied_bytes_ = stat.reclaim_copied_bytes;
  seen_freed_bytes_ = stat.reclaim_freed_bytes;
}

std::optional<std::string> StoreHarness::CheckReclamationCost() const {
  if (!check_reclamation_cost_) return std::nullopt;
  // Each extent the store resets frees at least 1/kReclaimFreedShareDivisor of it, so it copied
  // at most kReclaimFreedShareDivisor - 1 bytes per byte freed. It decides before it copies
  // whether the copies fit (placing them as the chunk store will), so without faults no
  // reclamation copies in vain. One that fails after copying (an injected write error fails its
  // copies or its index flush; a flipped bit hides a live chunk from the scan) frees nothing: an
  // extent's worth for each flip, two for each fault (the retry may copy again what the failed
  // flush left unnamed).
  const uint64_t per_freed = kReclaimFreedShareDivisor - 1;
  const uint64_t allowance =
      uint64_t{kGeometry.extent_bytes} * (2 * disk_.stats().faults_injected + flips_);
  if (reclaim_copied_bytes_ <= per_freed * reclaim_freed_bytes_ + allowance) return std::nullopt;
  return "reclamation the store started by itself copied " + std::to_string(reclaim_copied_bytes_) +
         " live bytes to free " + std::to_string(reclaim_freed_bytes_) +
         " over this sequence: more than " + std::to_string(per_freed) +
         " bytes copied per byte freed, plus an allowance of " + std::to_string(allowance) +
         " (copying that gains nothing)";
}

std::optional<std::string> StoreHarness::FinishChecks() {
  return CheckEveryKey(disk_.stats().faults_injected);
}

}  // namespace shardstore::checker
