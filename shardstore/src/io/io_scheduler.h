// IoScheduler: issues the engine's writes in dependency order, coalesced, with group commit.
//
// A write is queued with the Dependency it must wait for. The scheduler issues it only when that
// Dependency is persistent and every write queued earlier on the same extent has been issued, so
// an extent is always written front to back. Ready writes that are adjacent on one extent are
// issued as one disk IO (up to kIoBytesMax). Issued writes become durable at the next Flush.
//
// Group commit: RequestCommit(after) returns the Dependency of the next commit write (the
// superblock). Everyone who asks before the writes it waits for are issued shares it; a request
// made once they are being written goes to the next commit, whose writes are then issued with
// this commit, under the same flush (pipelining: one flush carries one group's superblock and
// the next group's data). Its bytes are produced
// by a CommitSource at the moment it is issued, once all its inputs are settled and the previous
// commit is settled (flushed, or failed), so commits never overlap. Once a queued write or a commit
// request depends on a pending commit, that commit is sealed — later requests go to a new commit
// after it — since joining it would make the commit wait for something that waits for the commit.
//
// Nothing is issued until someone drives: Dependency::Wait(), DriveAll() or DriveUntil(). Each
// drive step issues every ready write, then flushes; that is how group commit batches. The
// writes of a step and its disk flush run with the owner's mutex released, so reads and appends
// go on while the device works (readers find the bytes being written in the scheduler);
// one flush is in flight at a time, and a driver that finds one waits for it (its completion is
// that driver's progress). Writes that become ready while a flush writes its own join it before
// the disk flush (a few rounds at most), so clients woken by the previous flush, appending
// meanwhile, share this one rather than form a cohort of their own. Under the deterministic
// scheduler the completion is thus a point where other threads may run.
//
// If a write fails, every later write queued on that extent fails too (the extent would have a
// hole) and the extent is "poisoned" until ResetExtent(); a poisoned extent must not be appended
// to.
//
// Thread-safety: not internally locked. The owner passes the mutex that guards it; every method
// requires that mutex held, except DriveUntilSettled (called by Dependency::Wait), which takes it.
// The drive methods (DriveAll, DriveUntil) release and retake it around a step's writes and disk
// flush: state the caller read before the call may have changed after it.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "io/write_node.h"
#include "shardstore/dependency.h"
#include "shardstore/disk.h"
#include "shardstore/sync.h"
#include "util/page_bytes.h"

namespace shardstore {

// A write of whole pages at one place.
struct PageWrite {
  uint32_t extent = 0;
  uint32_t offset = 0;
  PageBytes bytes;
};

// Produces the group-commit write (the superblock) and learns how it ended.
class CommitSource {
 public:
  virtual ~CommitSource() = default;
  // Called with the scheduler's mutex held, when a commit is issued.
  virtual PageWrite ProduceCommit() = 0;
  // Called with the scheduler's mutex held, once the last produced commit is settled.
  virtual void CommitSettled(bool durable) = 0;
};

class IoScheduler final : public internal::IoDriver {
 public:
  // REQUIRES: disk and mu outlive the scheduler.
  IoScheduler(Disk* disk, sync::Mutex* mu);
  // Fails every write that is not yet durable. REQUIRES: mu not held.
  ~IoScheduler() override;

  IoScheduler(const IoScheduler&) = delete;
  IoScheduler& operator=(const IoScheduler&) = delete;

  // REQUIRES: source outlives the scheduler. Without a source, RequestCommit asserts.
  void SetCommitSource(CommitSource* source) { commit_source_ = source; }

  // Queues `bytes` (whole pages) for (extent, offset), issued once `after` is persistent. The
  // first `content_bytes` of them (all when 0) hold what was written; the rest are zeros that
  // Pack may fill.
  Dependency Write(uint32_t extent, uint32_t offset, PageBytes bytes, Dependency after,
                   uint32_t content_bytes = 0);

  // Packing: true when `bytes` more can go at `offset` into the write queued last on `extent`,
  // because that write is not issued yet and its content ends exactly there (and the write
  // would stay under kIoBytesMax).
  bool CanPack(uint32_t extent, uint32_t offset, uint32_t bytes) const;
  // Puts `bytes` at `offset` into that write, in the page slack after its content and in pages
  // added to it, and returns its Dependency: they are written by the same IO, so a frame packed
  // into a page never makes the page be written twice (a torn rewrite could destroy what the
  // page held). The write waits for what it waited for already. REQUIRES: CanPack.
  Dependency Pack(uint32_t extent, uint32_t offset, ByteView bytes);
  // Nothing more is packed into the write queued last on `extent` (if any).
  void EndPacking(uint32_t extent);

  // The next group commit, which will wait for `after` to settle.
  Dependency RequestCommit(Dependency after);

  // Copies into `out` every part of a write of `extent` that overlaps [offset, offset +
  // out.size()) and is queued, or issued and not yet flushed (a drive writes its issued bytes
  // with the mutex released, so the disk may not have them yet). Returns true when those cover
  // all of it (the disk need not be read).
  bool OverlayQueued(uint32_t extent, uint32_t offset, MutableByteView out) const;
  // The same parts, copied out: laid over a disk read made after the mutex is released, they
  // give the bytes as they were now, even if a drive writes them meanwhile.
  std::vector<PageWrite> QueuedOverlapping(uint32_t extent, uint32_t offset, uint32_t bytes) const;

  // Every byte of `extent` below this offset was written front to back and flushed.
  uint32_t DurableFrontier(uint32_t extent) const;
  bool Poisoned(uint32_t extent) const { return poisoned_.count(extent) != 0; }
  // True while some write to `extent` is queued or issued but not settled.
  bool HasUnsettledWrites(uint32_t extent) const;

  // At recovery: the extent holds durable bytes up to `frontier`.
  // REQUIRES: !HasUnsettledWrites(extent).
  void RestoreFrontier(uint32_t extent, uint32_t frontier);

  // Forgets the extent's frontier and poison: the extent will be written from offset 0 again.
  // REQUIRES: !HasUnsettledWrites(extent).
  void ResetExtent(uint32_t extent);

  // Issues and flushes until nothing queued can make progress. Returns an error only if the
  // disk's Flush failed; individual write failures are reported through their Dependencies.
  Status DriveAll();
  // Issues and flushes until `node` is settled.
  Status DriveUntil(const internal::WriteNode& node);
  Status DriveUntilSettled(const internal::WriteNode& node) override;

  uint64_t queued_bytes() const { return queued_bytes_; }
  // Nothing queued, issued, being flushed or waiting to commit.
  bool Idle() const {
    return queues_.empty() && issued_.empty() && flushing_.empty() && pending_commits_.empty();
  }

  struct Stats {
    uint64_t writes_queued = 0;
    uint64_t writes_packed = 0;  // packed into a write queued before them (Pack)
    uint64_t ios_issued = 0;
    uint64_t bytes_issued = 0;
    uint64_t flushes = 0;
    uint64_t commits = 0;
    uint64_t writes_failed = 0;  // data writes and commits that ended kFailed
  };
  const Stats& stats() const { return stats_; }

 private:
  struct Queued {
    std::shared_ptr<internal::WriteNode> node;
    uint32_t offset;
    PageBytes bytes;
    Dependency after;
    uint32_t content;  // bytes[0, content) were written; the rest are zeros Pack may fill
    bool packable = true;
  };
  struct Issued {
    std::shared_ptr<internal::WriteNode> node;
    uint32_t extent;
    uint32_t offset;
    uint32_t size;
    bool is_commit;
    uint64_t io;      // entries with one io are written as one disk IO
    PageBytes bytes;  // to write; empty once written (only a seeded bug writes before FlushIssued)
  };

  // Seeded bug kCommitOvertakesFlushInFlight: every unsettled input of the next commit is in
  // the flush in flight.
  bool InputsInFlushInFlight() const;
  std::shared_ptr<internal::WriteNode> NewNode();
  void Fail(internal::WriteNode& node, Status status);
  // Seals every pending commit that `dependency` names.
  void SealCommitsIn(const Dependency& dependency);
  // Seals the open commit if a write issued at or after issued_[first_issued] is one of its
  // inputs: requests from now on go to the next commit, whose data is then written under this
  // one's flush instead of holding it back for another data flush.
  void SealCommitBeingWritten(size_t first_issued);
  // One round: fail what cannot proceed, issue what is ready, flush. Sets *progress.
  Status Step(bool* progress);
  void FailQueuedFrom(uint32_t extent, const Status& status);
  void IssueReadyWrites(bool* progress);
  void IssueBatch(uint32_t extent, std::vector<Queued>& batch);
  void IssueCommitIfReady(bool* progress);
  // Writes what was issued and flushes the disk, with the mutex released, then settles it. An
  // error only if the flush failed (write failures fail their own writes).
  Status FlushIssued();
  // Writes flushing_[from, end) (called without the mutex) and appends each entry's outcome to
  // `written`. A data write past a failed one on its extent (`broken`, updated) is not tried.
  void WriteFlushing(size_t from, std::set<uint32_t>& broken, std::vector<Status>& written) const;
  // Visits the bytes of `extent` in [begin, end) that are queued, issued or being flushed — not
  // necessarily on the disk yet — as (offset, bytes, size).
  template <typename Visit>
  void ForEachUnwritten(uint32_t extent, uint64_t begin, uint64_t end, const Visit& visit) const;
  // Waits (the mutex released) until the flush in flight completes.
  void AwaitFlush();

  Disk* const disk_;
  sync::Mutex* const mu_;
  const std::shared_ptr<internal::DriverLink> link_;
  CommitSource* commit_source_ = nullptr;

  uint64_t next_node_id_ = 1;
  uint64_t next_io_ = 0;
  std::map<uint32_t, std::deque<Queued>> queues_;  // ordered: issue order is deterministic
  std::vector<Issued> issued_;                     // issued, not yet flushed, in issue order
  std::vector<Issued> flushing_;                   // issued, under the flush in flight
  sync::CondVar flush_done_;                       // a flush in flight completed
  uint64_t flushes_started_ = 0;                   // names the flush in flight
  std::map<uint32_t, uint32_t> frontier_;
  std::set<uint32_t> poisoned_;
  uint64_t queued_bytes_ = 0;

  struct PendingCommit {
    std::shared_ptr<internal::WriteNode> node;
    Dependency inputs;
    bool sealed = false;  // a queued write or a commit request depends on it: no more inputs
  };
  std::deque<PendingCommit> pending_commits_;         // not yet issued, in issue order
  std::shared_ptr<internal::WriteNode> last_commit_;  // issued; settled or not

  Stats stats_;
};

}  // namespace shardstore
