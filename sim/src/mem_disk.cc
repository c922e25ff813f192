#include "shardstore/sim/mem_disk.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "shardstore/limits.h"

namespace shardstore {

MemDisk::MemDisk(DiskGeometry geometry) : geometry_(geometry) {
  SS_ASSERT_MSG(ValidateGeometry(geometry).ok(), ValidateGeometry(geometry).ToString());
  durable_.resize(geometry.extent_count);
}

uint8_t* MemDisk::DurablePage(uint32_t extent, uint32_t offset) {
  Bytes& image = durable_[extent];
  if (image.size() < offset + kPageBytes) image.resize(offset + kPageBytes, 0);
  return image.data() + offset;
}

bool MemDisk::TakeFault(uint32_t extent, IoKind kind) {
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->extent != extent || it->kind != kind) continue;
    if (it->skip > 0) {
      --it->skip;
      continue;
    }
    faults_.erase(it);
    ++stats_.faults_injected;
    return true;
  }
  return false;
}

Status MemDisk::Write(uint32_t extent, uint32_t offset, ByteView data) {
  CheckRange(extent, offset, data.size());
  sync::LockGuard lock(mu_);
  if (dead_) return DeadError();
  const bool failed = TakeFault(extent, IoKind::kWrite);
  Record({Event::Kind::kWrite, extent, offset, static_cast<uint32_t>(data.size()), failed});
  if (failed) {
    return Status::IOError("injected: write of extent " + std::to_string(extent) + " offset " +
                           std::to_string(offset));
  }
  for (size_t done = 0; done < data.size(); done += kPageBytes) {
    pending_.push_back({{extent, static_cast<uint32_t>(offset + done)}, pending_bytes_.size()});
    pending_bytes_.insert(pending_bytes_.end(), data.begin() + done,
                          data.begin() + done + kPageBytes);
  }
  stats_.bytes_written += data.size();
  ++stats_.writes;
  return Status::Ok();
}

Status MemDisk::Read(uint32_t extent, uint32_t offset, MutableByteView out) {
  CheckRange(extent, offset, out.size());
  sync::LockGuard lock(mu_);
  if (dead_) return DeadError();
  const bool failed = TakeFault(extent, IoKind::kRead);
  Record({Event::Kind::kRead, extent, offset, static_cast<uint32_t>(out.size()), failed});
  if (failed) {
    return Status::IOError("injected: read of extent " + std::to_string(extent) + " offset " +
                           std::to_string(offset));
  }
  ++stats_.reads;
  const Bytes& image = durable_[extent];
  const size_t stored = image.size() > offset ? std::min(image.size() - offset, out.size()) : 0;
  if (stored > 0) std::memcpy(out.data(), image.data() + offset, stored);
  if (stored < out.size()) std::memset(out.data() + stored, 0, out.size() - stored);
  // Unflushed pages are visible to reads, newest last.
  for (const PendingWrite& write : pending_) {
    if (write.page.extent != extent) continue;
    if (write.page.offset < offset || write.page.offset >= offset + out.size()) continue;
    std::memcpy(out.data() + (write.page.offset - offset), PendingBytes(write), kPageBytes);
  }
  return Status::Ok();
}

Status MemDisk::Flush() {
  sync::LockGuard lock(mu_);
  if (dead_) return DeadError();
  if (flush_observer_) flush_observer_();
  if (barrier_observer_) barrier_observer_(SnapshotLocked());
  if (barriers_until_cut_ > 0 && --barriers_until_cut_ == 0) {
    CrashLocked(cut_plan_);
    dead_ = true;
    return DeadError();
  }
  Record({Event::Kind::kFlush, 0, 0, 0, false});
  for (const PendingWrite& write : pending_) {
    std::memcpy(DurablePage(write.page.extent, write.page.offset), PendingBytes(write), kPageBytes);
  }
  pending_.clear();
  pending_bytes_.clear();
  ++stats_.flushes;
  return Status::Ok();
}

std::vector<MemDisk::PendingPage> MemDisk::PendingPages() const {
  sync::LockGuard lock(mu_);
  std::vector<PendingPage> pages;
  pages.reserve(pending_.size());
  for (const PendingWrite& write : pending_) pages.push_back(write.page);
  return pages;
}

void MemDisk::Crash(std::span<const SectorsKept> sectors_kept) {
  sync::LockGuard lock(mu_);
  CrashLocked(sectors_kept);
}

void MemDisk::Crash(const CrashPlan& plan) {
  sync::LockGuard lock(mu_);
  CrashLocked(plan);
}

void MemDisk::CrashLocked(const CrashPlan& plan) {
  CrashLocked(SectorsFor(plan, pending_.size()), plan.torn_page, plan.torn_bytes);
}

void MemDisk::CrashLocked(std::span<const SectorsKept> sectors_kept, uint32_t torn_page,
                          uint32_t torn_bytes) {
  SS_ASSERT(sectors_kept.size() == pending_.size());
  SS_ASSERT(torn_bytes < kSectorBytes);
  PowerCut cut{{}, {sectors_kept.begin(), sectors_kept.end()}, torn_page, torn_bytes, 0};
  cut.number = last_power_cut_ ? last_power_cut_->number + 1 : 1;
  for (const PendingWrite& write : pending_) cut.pages.push_back(write.page);
  last_power_cut_ = std::move(cut);
  for (size_t i = 0; i < pending_.size(); ++i) {
    SS_ASSERT(sectors_kept[i] <= kPageWhole);
    // The sector after the kept ones, torn in its middle: a prefix of it is new.
    const size_t partial =
        i + 1 == torn_page && sectors_kept[i] < kPageWhole ? size_t{torn_bytes} : 0;
    const size_t bytes = size_t{sectors_kept[i]} * kSectorBytes + partial;
    if (bytes == 0) continue;
    const PendingWrite& write = pending_[i];
    std::memcpy(DurablePage(write.page.extent, write.page.offset), PendingBytes(write), bytes);
  }
  pending_.clear();
  pending_bytes_.clear();
}

void MemDisk::CrashLosingAll() {
  sync::LockGuard lock(mu_);
  PowerCut cut{{}, std::vector<SectorsKept>(pending_.size(), kPageLost), 0, 0, 0};
  cut.number = last_power_cut_ ? last_power_cut_->number + 1 : 1;
  for (const PendingWrite& write : pending_) cut.pages.push_back(write.page);
  last_power_cut_ = std::move(cut);
  pending_.clear();
  pending_bytes_.clear();
}

uint64_t MemDisk::power_cuts() const {
  sync::LockGuard lock(mu_);
  return last_power_cut_ ? last_power_cut_->number : 0;
}

std::optional<MemDisk::PowerCut> MemDisk::last_power_cut() const {
  sync::LockGuard lock(mu_);
  return last_power_cut_;
}

void MemDisk::FailNext(uint32_t extent, IoKind kind, uint32_t skip) {
  SS_ASSERT(extent < geometry_.extent_count);
  sync::LockGuard lock(mu_);
  faults_.push_back({extent, kind, skip});
}

size_t MemDisk::faults_armed() const {
  sync::LockGuard lock(mu_);
  return faults_.size();
}

void MemDisk::ClearFaults() {
  sync::LockGuard lock(mu_);
  faults_.clear();
}

void MemDisk::CorruptByte(uint32_t extent, uint32_t offset, uint8_t xor_mask) {
  SS_ASSERT(extent < geometry_.extent_count && offset < geometry_.extent_bytes);
  sync::LockGuard lock(mu_);
  const uint32_t page_offset = offset / kPageBytes * kPageBytes;
  DurablePage(extent, page_offset)[offset - page_offset] ^= xor_mask;
  for (const PendingWrite& write : pending_) {
    if (write.page.extent == extent && write.page.offset == page_offset) {
      pending_bytes_[write.at + (offset - page_offset)] ^= xor_mask;
    }
  }
}

std::vector<MemDisk::Event> MemDisk::Events() const {
  sync::LockGuard lock(mu_);
  return events_;
}

void MemDisk::RecordEvents(bool on) {
  sync::LockGuard lock(mu_);
  record_events_ = on;
  events_.clear();
}

void MemDisk::Record(const Event& event) {
  if (record_events_) events_.push_back(event);
}

MemDisk::Stats MemDisk::stats() const {
  sync::LockGuard lock(mu_);
  return stats_;
}

std::vector<MemDisk::SectorsKept> MemDisk::SectorsFor(const CrashPlan& plan, size_t pending) {
  std::vector<SectorsKept> kept(pending, kPageLost);
  for (size_t i = 0; i < pending && i < 64; ++i) {
    if (plan.keep_mask >> i & 1) kept[i] = kPageWhole;
  }
  if (plan.torn_page > 0 && plan.torn_page <= pending) {
    kept[plan.torn_page - 1] = std::min<SectorsKept>(plan.torn_sectors, kPageWhole);
  }
  return kept;
}

void MemDisk::CutPowerAtBarrier(uint32_t barriers, const CrashPlan& plan) {
  SS_ASSERT(barriers > 0);
  SS_ASSERT(plan.torn_bytes < kSectorBytes);
  sync::LockGuard lock(mu_);
  barriers_until_cut_ = barriers;
  cut_plan_ = plan;
}

void MemDisk::CutPower(const CrashPlan& plan) {
  sync::LockGuard lock(mu_);
  CrashLocked(plan);
  dead_ = true;
}

bool MemDisk::dead() const {
  sync::LockGuard lock(mu_);
  return dead_;
}

void MemDisk::Revive() {
  sync::LockGuard lock(mu_);
  dead_ = false;
  barriers_until_cut_ = 0;
}

void MemDisk::SetBarrierObserver(BarrierObserver observer) {
  sync::LockGuard lock(mu_);
  barrier_observer_ = std::move(observer);
}

void MemDisk::SetFlushObserver(FlushObserver observer) {
  sync::LockGuard lock(mu_);
  flush_observer_ = std::move(observer);
}

std::unique_ptr<MemDisk> MemDisk::Snapshot() const {
  sync::LockGuard lock(mu_);
  return SnapshotLocked();
}

std::unique_ptr<MemDisk> MemDisk::SnapshotLocked() const {
  auto copy = std::make_unique<MemDisk>(geometry_);
  copy->durable_ = durable_;
  copy->pending_ = pending_;
  copy->pending_bytes_ = pending_bytes_;
  return copy;
}

Status MemDisk::DeadError() const { return Status::IOError("injected: the disk lost power"); }

}  // namespace shardstore
