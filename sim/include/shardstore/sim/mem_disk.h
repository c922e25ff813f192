// MemDisk: a deterministic in-memory Disk that remembers what a crash may lose.
//
// MemDisk keeps two things apart: the durable image, and the pages written since the last Flush
// (pending pages, in write order). Reads see the durable image overlaid by the pending pages, as
// a real device's cache would. Flush moves every pending page into the durable image. Crash()
// decides, for each pending page, whether it survives whole, survives torn (a prefix of its
// 512-byte sectors), or is lost — any such choice is a state a real device could be left in —
// then discards the rest. A crash plan may also tear one page inside a sector (a prefix of the
// new bytes, the old ones after it), as a device that does not write sectors atomically can.
//
// Faults: FailNext() makes a chosen future read or write of one extent fail once with an
// IOError whose message starts with "injected:", so it is never confused with a real error.
//
// With the event log on, every write, read and flush is appended to a log that tests use to check
// the order in which the engine issued its IO. It is off by default so long runs stay bounded.
//
// Thread-safety: thread-safe (one internal lock); a run is deterministic for a given order of
// calls.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "shardstore/disk.h"
#include "shardstore/sync.h"

namespace shardstore {

enum class IoKind : uint8_t { kRead, kWrite };

class MemDisk : public Disk {
 public:
  // REQUIRES: ValidateGeometry(geometry).ok().
  explicit MemDisk(DiskGeometry geometry);

  DiskGeometry geometry() const override { return geometry_; }
  Status Write(uint32_t extent, uint32_t offset, ByteView data) override;
  Status Read(uint32_t extent, uint32_t offset, MutableByteView out) override;
  Status Flush() override;

  // ---- Crash support ----

  struct PendingPage {
    uint32_t extent = 0;
    uint32_t offset = 0;  // page aligned
  };
  // The pages written since the last Flush, oldest first (a page written twice appears twice).
  std::vector<PendingPage> PendingPages() const;

  // How much of one pending page survives a crash: 0 sectors (lost) up to
  // kPageBytes / kSectorBytes sectors (whole). A torn page keeps a prefix of its sectors.
  using SectorsKept = uint8_t;
  static constexpr SectorsKept kPageLost = 0;
  static constexpr SectorsKept kPageWhole = 8;

  // Simulates power loss: applies each pending page to the durable image keeping
  // `sectors_kept[i]` sectors of PendingPages()[i], then forgets every pending page.
  // REQUIRES: sectors_kept.size() == PendingPages().size(), each value <= kPageWhole.
  void Crash(std::span<const SectorsKept> sectors_kept);
  // Power loss that keeps no pending page.
  void CrashLosingAll();

  // Which pending pages a power cut keeps: page i (in PendingPages() order) whole when bit i of
  // keep_mask is set (pages past 64 are lost), and page torn_page - 1 (if torn_page > 0) with
  // only its first torn_sectors sectors and then the first torn_bytes bytes of the next sector
  // (a sector torn in its middle; 0: sectors stay atomic).
  struct CrashPlan {
    uint64_t keep_mask = 0;
    uint32_t torn_page = 0;
    uint8_t torn_sectors = 0;
    uint16_t torn_bytes = 0;  // < kSectorBytes; only with torn_sectors < kPageWhole
    friend bool operator==(const CrashPlan&, const CrashPlan&) = default;
  };
  // The SectorsKept of each of `pending` pages under `plan` (its torn_bytes aside).
  static std::vector<SectorsKept> SectorsFor(const CrashPlan& plan, size_t pending);
  // Power loss as `plan` says, torn sector included. REQUIRES: plan.torn_bytes < kSectorBytes.
  void Crash(const CrashPlan& plan);

  // Arms a power cut at the `barriers`-th Flush from now (1: the next one): that Flush applies
  // `plan` to the pending pages instead of flushing them, and from then on the disk is dead:
  // every call fails with an injected IOError until Revive().
  void CutPowerAtBarrier(uint32_t barriers, const CrashPlan& plan);
  // Cuts the power now: `plan` applies to the pending pages, and the disk is dead.
  void CutPower(const CrashPlan& plan);
  bool dead() const;
  // Power back on (also disarms a cut not yet reached).
  void Revive();

  // The last power loss: the pages pending then (oldest first) and how many sectors of each it
  // kept, and the torn page (1-based, 0: none) whose next sector kept `torn_bytes` bytes. A
  // report draws it as a strip per extent.
  struct PowerCut {
    std::vector<PendingPage> pages;
    std::vector<SectorsKept> kept;
    uint32_t torn_page = 0;
    uint32_t torn_bytes = 0;
    uint64_t number = 0;  // this disk's power cuts, from 1
  };
  std::optional<PowerCut> last_power_cut() const;
  // The power cuts so far (PowerCut::number of the last one), without copying it.
  uint64_t power_cuts() const;

  // Called at the start of every Flush with a copy of the disk as it is then (durable image and
  // pending pages): a crash explorer recovers from each state a power cut there could leave.
  using BarrierObserver = std::function<void(std::unique_ptr<MemDisk> snapshot)>;
  void SetBarrierObserver(BarrierObserver observer);
  // Called at the start of every Flush, before the barrier observer and before an armed power
  // cut takes effect, without a copy: a harness notes what its component reported persistent
  // at that moment, so a replayed power cut judges the same promises the explorer judged.
  // It runs with the disk's lock held and must not call the disk.
  using FlushObserver = std::function<void()>;
  void SetFlushObserver(FlushObserver observer);
  // A copy of the durable image and the pending pages (no faults, events or observer).
  std::unique_ptr<MemDisk> Snapshot() const;

  // ---- Fault injection ----

  // The `skip`+1-th future `kind` access touching `extent` fails once with an injected IOError.
  void FailNext(uint32_t extent, IoKind kind, uint32_t skip = 0);
  void ClearFaults();
  // FailNext faults armed that have not fired yet.
  size_t faults_armed() const;

  // ---- Test helpers ----

  // XORs one durable byte (and any pending copy of its page), to model media corruption.
  void CorruptByte(uint32_t extent, uint32_t offset, uint8_t xor_mask);

  struct Event {
    enum class Kind : uint8_t { kWrite, kRead, kFlush };
    Kind kind = Kind::kFlush;
    uint32_t extent = 0;
    uint32_t offset = 0;
    uint32_t bytes = 0;
    bool failed = false;
  };
  // Starts (or stops) recording events; starting clears the log.
  void RecordEvents(bool on);
  std::vector<Event> Events() const;

  struct Stats {
    uint64_t bytes_written = 0;
    uint64_t writes = 0;
    uint64_t reads = 0;
    uint64_t flushes = 0;
    uint64_t faults_injected = 0;  // FailNext faults that fired
  };
  Stats stats() const;

 private:
  struct Fault {
    uint32_t extent;
    IoKind kind;
    uint32_t skip;
  };
  struct PendingWrite {
    PendingPage page;
    size_t at;  // its kPageBytes bytes start here in pending_bytes_
  };

  uint8_t* DurablePage(uint32_t extent, uint32_t offset);
  std::unique_ptr<MemDisk> SnapshotLocked() const;
  // `torn_bytes` more bytes of page `torn_page - 1` (if torn_page > 0) survive past its sectors.
  void CrashLocked(std::span<const SectorsKept> sectors_kept, uint32_t torn_page = 0,
                   uint32_t torn_bytes = 0);
  void CrashLocked(const CrashPlan& plan);
  Status DeadError() const;
  const uint8_t* PendingBytes(const PendingWrite& write) const {
    return pending_bytes_.data() + write.at;
  }
  bool TakeFault(uint32_t extent, IoKind kind);
  void Record(const Event& event);

  const DiskGeometry geometry_;
  mutable sync::Mutex mu_;
  std::vector<Bytes> durable_;  // per extent, grown lazily to the highest page touched
  std::vector<PendingWrite> pending_;
  std::optional<PowerCut> last_power_cut_;
  Bytes pending_bytes_;  // every pending page's bytes, in write order (one buffer: no per-page
                         // allocation)
  std::vector<Fault> faults_;
  bool record_events_ = false;
  bool dead_ = false;
  uint32_t barriers_until_cut_ = 0;  // 0: no cut armed
  CrashPlan cut_plan_;
  BarrierObserver barrier_observer_;
  FlushObserver flush_observer_;
  std::vector<Event> events_;
  Stats stats_;
};

}  // namespace shardstore
