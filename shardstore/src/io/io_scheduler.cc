#include "io/io_scheduler.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string>

#include "hooks/coverage_site.h"
#include "hooks/seeded_bug_site.h"
#include "io/dependency_access.h"
#include "shardstore/limits.h"
#include "util/coding.h"

namespace shardstore {

using internal::WriteNode;
using internal::WriteState;

namespace {

SS_COVERAGE_POINT(kDriveAllFoundFlushInFlight,
                  "a flush found another thread's flush in flight and nothing of its own");
SS_COVERAGE_POINT(kCommitSealedByItsWrites,
                  "a commit took no more requests once its writes were issued");
SS_COVERAGE_POINT(kWaiterWokeUnderNextFlush,
                  "a waiter woke after the flush it waited for, with the next one in flight");
SS_COVERAGE_POINT(kFlushTookWritesReadyMeanwhile,
                  "a flush took in writes that became ready while its own were written");

// Rounds in which a flush takes in writes that became ready while it wrote (FlushIssued).
constexpr uint32_t kJoinRoundsMax = 4;

bool AllSettled(const Dependency& dependency) {
  return std::all_of(DependencyAccess::Nodes(dependency).begin(),
                     DependencyAccess::Nodes(dependency).end(),
                     [](const auto& node) { return node->Settled(); });
}

// The first failure among a dependency's writes, or OK.
Status FirstFailure(const Dependency& dependency) {
  for (const auto& node : DependencyAccess::Nodes(dependency)) {
    if (node->Load() == WriteState::kFailed) return node->error;
  }
  return Status::Ok();
}

}  // namespace

IoScheduler::IoScheduler(Disk* disk, sync::Mutex* mu)
    : disk_(disk), mu_(mu), link_(std::make_shared<internal::DriverLink>()) {
  link_->Attach(this);
}

IoScheduler::~IoScheduler() {
  link_->Detach();
  sync::LockGuard lock(*mu_);
  const Status closed = Status::IOError("the store was closed before this write became persistent");
  for (auto& [extent, queue] : queues_) {
    for (Queued& q : queue) q.node->MarkFailed(closed);
  }
  for (Issued& i : issued_) i.node->MarkFailed(closed);
  // Left only by a driver unwound mid-flush (a checker tearing down a failed run).
  for (Issued& i : flushing_) {
    if (!i.node->Settled()) i.node->MarkFailed(closed);
  }
  for (PendingCommit& commit : pending_commits_) commit.node->MarkFailed(closed);
}

void IoScheduler::Fail(WriteNode& node, Status status) {
  node.MarkFailed(std::move(status));
  ++stats_.writes_failed;
}

std::shared_ptr<WriteNode> IoScheduler::NewNode() {
  return std::make_shared<WriteNode>(next_node_id_++, link_);
}

Dependency IoScheduler::Write(uint32_t extent, uint32_t offset, PageBytes bytes, Dependency after,
                              uint32_t content_bytes) {
  SS_ASSERT(!bytes.empty() && bytes.size() % kPageBytes == 0 && offset % kPageBytes == 0);
  SS_ASSERT(content_bytes <= bytes.size());
  if (content_bytes == 0) content_bytes = static_cast<uint32_t>(bytes.size());
  auto node = NewNode();
  ++stats_.writes_queued;
  if (Poisoned(extent)) {
    Fail(*node, Status::IOError("extent " + std::to_string(extent) +
                                " had a failed write; it takes no appends until reset"));
    return DependencyAccess::Of(node);
  }
  SealCommitsIn(after);
  queued_bytes_ += bytes.size();
  queues_[extent].push_back(
      Queued{node, offset, std::move(bytes), std::move(after), content_bytes});
  return DependencyAccess::Of(node);
}

bool IoScheduler::CanPack(uint32_t extent, uint32_t offset, uint32_t bytes) const {
  auto it = queues_.find(extent);
  if (it == queues_.end() || it->second.empty()) return false;
  const Queued& last = it->second.back();
  const uint64_t content = uint64_t{last.content} + bytes;
  return last.packable && uint64_t{last.offset} + last.content == offset &&
         coding::RoundUp(content, kPageBytes) <= kIoBytesMax;
}

Dependency IoScheduler::Pack(uint32_t extent, uint32_t offset, ByteView bytes) {
  SS_ASSERT(CanPack(extent, offset, static_cast<uint32_t>(bytes.size())));
  Queued& last = queues_[extent].back();
  const size_t content = last.content + bytes.size();
  const size_t size = coding::RoundUp(content, kPageBytes);
  if (size > last.bytes.size()) {
    queued_bytes_ += size - last.bytes.size();
    last.bytes.resize(size);  // not zeroed (PageBytes): the padding is written below
  }
  std::memcpy(last.bytes.data() + last.content, bytes.data(), bytes.size());
  std::memset(last.bytes.data() + content, 0, size - content);
  last.content = static_cast<uint32_t>(content);
  ++stats_.writes_packed;
  return DependencyAccess::Of(last.node);
}

void IoScheduler::EndPacking(uint32_t extent) {
  auto it = queues_.find(extent);
  if (it != queues_.end() && !it->second.empty()) it->second.back().packable = false;
}

void IoScheduler::SealCommitsIn(const Dependency& dependency) {
  const auto& nodes = DependencyAccess::Nodes(dependency);
  for (PendingCommit& commit : pending_commits_) {
    if (std::find(nodes.begin(), nodes.end(), commit.node) != nodes.end()) commit.sealed = true;
  }
}

void IoScheduler::SealCommitBeingWritten(size_t first_issued) {
  if (pending_commits_.empty() || pending_commits_.back().sealed) return;
  PendingCommit& commit = pending_commits_.back();
  const auto& inputs = DependencyAccess::Nodes(commit.inputs);
  for (size_t i = first_issued; i < issued_.size(); ++i) {
    if (std::find(inputs.begin(), inputs.end(), issued_[i].node) != inputs.end()) {
      SS_COVER(kCommitSealedByItsWrites);
      commit.sealed = true;
      return;
    }
  }
}

Dependency IoScheduler::RequestCommit(Dependency after) {
  SS_ASSERT_MSG(commit_source_ != nullptr, "RequestCommit without a CommitSource");
  SealCommitsIn(after);
  if (pending_commits_.empty() || pending_commits_.back().sealed) {
    SS_ASSERT(pending_commits_.size() < kPendingCommitsMax);
    pending_commits_.push_back(PendingCommit{NewNode(), Dependency(), false});
  }
  PendingCommit& commit = pending_commits_.back();
  commit.inputs = commit.inputs.And(after);
  return DependencyAccess::Of(commit.node);
}

bool IoScheduler::InputsInFlushInFlight() const {
  if (!SS_SEEDED_BUG(kCommitOvertakesFlushInFlight) || flushing_.empty()) return false;
  for (const auto& node : DependencyAccess::Nodes(pending_commits_.front().inputs)) {
    if (node->Settled()) continue;
    auto flushed = [&](const Issued& i) { return i.node == node; };
    if (std::none_of(flushing_.begin(), flushing_.end(), flushed)) return false;
  }
  return true;
}

template <typename Visit>
void IoScheduler::ForEachUnwritten(uint32_t extent, uint64_t begin, uint64_t end,
                                   const Visit& visit) const {
  // Oldest first; the pieces of one extent never overlap each other (an extent is reset only
  // once it has nothing unsettled), so the order only matters to the reader's eye.
  auto piece = [&](uint64_t at, const PageBytes& bytes) {
    const uint64_t from = std::max(begin, at);
    const uint64_t to = std::min(end, at + bytes.size());
    if (from < to) visit(from, bytes.data() + (from - at), to - from);
  };
  for (const std::vector<Issued>* list : {&flushing_, &issued_}) {
    for (const Issued& i : *list) {
      if (!i.is_commit && i.extent == extent && !i.bytes.empty()) piece(i.offset, i.bytes);
    }
  }
  auto it = queues_.find(extent);
  if (it == queues_.end()) return;
  for (const Queued& q : it->second) piece(q.offset, q.bytes);
}

bool IoScheduler::OverlayQueued(uint32_t extent, uint32_t offset, MutableByteView out) const {
  const uint64_t begin = offset;
  uint64_t covered = 0;
  ForEachUnwritten(extent, begin, begin + out.size(),
                   [&](uint64_t at, const uint8_t* bytes, uint64_t size) {
                     std::memcpy(out.data() + (at - begin), bytes, size);
                     covered += size;
                   });
  return covered == out.size();
}

std::vector<PageWrite> IoScheduler::QueuedOverlapping(uint32_t extent, uint32_t offset,
                                                      uint32_t bytes) const {
  std::vector<PageWrite> pieces;
  ForEachUnwritten(extent, offset, uint64_t{offset} + bytes,
                   [&](uint64_t at, const uint8_t* from, uint64_t size) {
                     pieces.push_back(PageWrite{extent, static_cast<uint32_t>(at),
                                                PageBytes(from, from + size)});
                   });
  return pieces;
}

uint32_t IoScheduler::DurableFrontier(uint32_t extent) const {
  auto it = frontier_.find(extent);
  return it == frontier_.end() ? 0 : it->second;
}

bool IoScheduler::HasUnsettledWrites(uint32_t extent) const {
  auto it = queues_.find(extent);
  if (it != queues_.end() && !it->second.empty()) return true;
  auto names = [&](const Issued& i) { return !i.is_commit && i.extent == extent; };
  return std::any_of(issued_.begin(), issued_.end(), names) ||
         (!SS_SEEDED_BUG(kResetMissesWritesBeingFlushed) &&
          std::any_of(flushing_.begin(), flushing_.end(), names));
}

void IoScheduler::RestoreFrontier(uint32_t extent, uint32_t frontier) {
  SS_ASSERT(!HasUnsettledWrites(extent));
  frontier_[extent] = frontier;
}

void IoScheduler::ResetExtent(uint32_t extent) {
  SS_ASSERT(!HasUnsettledWrites(extent));
  frontier_.erase(extent);
  poisoned_.erase(extent);
}

void IoScheduler::FailQueuedFrom(uint32_t extent, const Status& status) {
  auto it = queues_.find(extent);
  poisoned_.insert(extent);
  if (it == queues_.end()) return;
  for (Queued& q : it->second) {
    queued_bytes_ -= q.bytes.size();
    Fail(*q.node, status);
  }
  queues_.erase(it);
}

void IoScheduler::IssueBatch(uint32_t extent, std::vector<Queued>& batch) {
  if (batch.empty()) return;
  // Written by FlushIssued, as one disk IO, with the mutex released; until that flush settles the
  // bytes stay here for readers (ForEachUnwritten).
  const uint64_t io = ++next_io_;
  ++stats_.ios_issued;
  for (Queued& q : batch) {
    queued_bytes_ -= q.bytes.size();
    stats_.bytes_issued += q.bytes.size();
    q.node->MarkIssued();
    const auto size = static_cast<uint32_t>(q.bytes.size());
    issued_.push_back(Issued{q.node, extent, q.offset, size, false, io, std::move(q.bytes)});
  }
  batch.clear();
}

void IoScheduler::IssueReadyWrites(bool* progress) {
  for (auto it = queues_.begin(); it != queues_.end();) {
    const uint32_t extent = it->first;
    std::deque<Queued>& queue = it->second;
    std::vector<Queued> batch;
    uint64_t batch_end = 0;
    uint64_t batch_bytes = 0;
    bool failed_input = false;
    while (!queue.empty()) {
      Queued& head = queue.front();
      const Status input = FirstFailure(head.after);
      if (!input.ok()) {
        failed_input = true;
        break;
      }
      if (!head.after.IsPersistent()) break;
      const bool joins = !batch.empty() && head.offset == batch_end &&
                         batch_bytes + head.bytes.size() <= kIoBytesMax;
      if (!batch.empty() && !joins) {
        IssueBatch(extent, batch);
        batch_bytes = 0;
      }
      batch_end = uint64_t{head.offset} + head.bytes.size();
      batch_bytes += head.bytes.size();
      batch.push_back(std::move(head));
      queue.pop_front();
      *progress = true;
    }
    IssueBatch(extent, batch);
    if (failed_input) {
      const Status input = FirstFailure(queue.front().after);
      FailQueuedFrom(extent,
                     Status::IOError("a write this one depended on failed: " + input.ToString()));
      *progress = true;
    }
    // FailQueuedFrom may have erased the queue; look it up again.
    auto next = queues_.upper_bound(extent);
    auto self = queues_.find(extent);
    if (self != queues_.end() && self->second.empty()) queues_.erase(self);
    it = next;
  }
}

void IoScheduler::IssueCommitIfReady(bool* progress) {
  if (pending_commits_.empty()) return;
  if (last_commit_ && !last_commit_->Settled()) return;
  if (!AllSettled(pending_commits_.front().inputs) && !InputsInFlushInFlight()) return;
  PageWrite write = commit_source_->ProduceCommit();
  if (SS_SEEDED_BUG(kCommitListedBeforeWritten)) {
    // Listed as issued first, then written with the lock released, so appends go on meanwhile.
    const std::shared_ptr<WriteNode> node = std::move(pending_commits_.front().node);
    pending_commits_.pop_front();
    last_commit_ = node;
    node->MarkIssued();
    const auto size = static_cast<uint32_t>(write.bytes.size());
    issued_.push_back(
        Issued{node, write.extent, write.offset, size, true, ++next_io_, PageBytes()});
    ++stats_.ios_issued;
    ++stats_.commits;
    stats_.bytes_issued += write.bytes.size();
    *progress = true;
    mu_->unlock();
    const Status written = disk_->Write(write.extent, write.offset, write.bytes);
    mu_->lock();
    auto listed = std::find_if(issued_.begin(), issued_.end(),
                               [&](const Issued& i) { return i.node == node; });
    if (!written.ok() && listed != issued_.end()) {
      issued_.erase(listed);
      Fail(*node, written);
      commit_source_->CommitSettled(false);
    }
    return;
  }
  ++stats_.ios_issued;
  ++stats_.commits;
  stats_.bytes_issued += write.bytes.size();
  last_commit_ = std::move(pending_commits_.front().node);
  pending_commits_.pop_front();
  *progress = true;
  last_commit_->MarkIssued();
  const auto size = static_cast<uint32_t>(write.bytes.size());
  issued_.push_back(Issued{last_commit_, write.extent, write.offset, size, true, ++next_io_,
                           std::move(write.bytes)});
}

void IoScheduler::WriteFlushing(size_t from, std::set<uint32_t>& broken,
                                std::vector<Status>& written) const {
  SS_ASSERT(written.size() == from);
  written.resize(flushing_.size());
  std::vector<ByteView> pieces;
  for (size_t first = from; first < flushing_.size();) {
    size_t end = first + 1;
    while (end < flushing_.size() && flushing_[end].io == flushing_[first].io) ++end;
    const Issued& head = flushing_[first];
    Status status;
    if (head.bytes.empty()) {
      // Written when it was listed (seeded bug kCommitListedBeforeWritten's commit).
    } else if (!head.is_commit && broken.count(head.extent) != 0) {
      // Past the hole an earlier failed write left: never written, so never durable.
      status =
          Status::IOError("an earlier write to extent " + std::to_string(head.extent) + " failed");
    } else {
      pieces.clear();
      for (size_t k = first; k < end; ++k) pieces.emplace_back(flushing_[k].bytes);
      status = disk_->WriteGather(head.extent, head.offset, pieces);
      if (!status.ok() && !head.is_commit) broken.insert(head.extent);
    }
    for (size_t k = first; k < end; ++k) written[k] = status;
    first = end;
  }
}

Status IoScheduler::FlushIssued() {
  SS_ASSERT(flushing_.empty());
  ++flushes_started_;
  flushing_ = std::move(issued_);
  issued_.clear();
  if (SS_SEEDED_BUG(kCommitOvertakesFlushInFlight)) {
    // Counted durable from the start of their flush, so a commit may cover them meanwhile.
    for (const Issued& i : flushing_) {
      uint32_t& frontier = frontier_[i.extent];
      if (!i.is_commit && i.offset <= frontier) frontier = std::max(frontier, i.offset + i.size);
    }
  }
  // The writes and the flush run without the mutex: readers and appenders go on meanwhile
  // (appends only queue; no other driver issues until this flush has settled, and readers find
  // the bytes being written in flushing_).
  mu_->unlock();
  std::vector<Status> written;
  std::set<uint32_t> broken_writes;  // extents whose write failed: nothing after it is tried
  WriteFlushing(0, broken_writes, written);
  // Writes that became ready while those were written join this flush rather than wait for the
  // next: clients the previous flush woke append meanwhile, and would otherwise form a cohort of
  // their own, flush after flush. Bounded: a few rounds, each only what is ready at its start.
  mu_->lock();
  for (uint32_t round = 0; round < kJoinRoundsMax; ++round) {
    const size_t first_issued = issued_.size();
    bool ready = false;
    IssueReadyWrites(&ready);
    if (issued_.size() == first_issued) break;
    SS_COVER(kFlushTookWritesReadyMeanwhile);
    SealCommitBeingWritten(first_issued);
    const size_t from = flushing_.size();
    for (size_t k = first_issued; k < issued_.size(); ++k)
      flushing_.push_back(std::move(issued_[k]));
    issued_.resize(first_issued);
    mu_->unlock();
    WriteFlushing(from, broken_writes, written);
    mu_->lock();
  }
  mu_->unlock();
  const Status flushed = disk_->Flush();
  sync::IoCompleted(disk_);
  mu_->lock();
  // Nothing was issued meanwhile (Step waits for a flush in flight), so no write of a broken
  // extent lies past the hole a failure leaves without being failed below.
  SS_ASSERT(issued_.empty() || SS_SEEDED_BUG(kCommitOvertakesFlushInFlight));
  ++stats_.flushes;
  std::map<uint32_t, Status> broken;  // extent: why the writes queued behind a hole fail
  for (size_t k = 0; k < flushing_.size(); ++k) {
    Issued& i = flushing_[k];
    if (!written[k].ok() || !flushed.ok()) {
      const Status& failure = written[k].ok() ? flushed : written[k];
      Fail(*i.node, failure);
      if (i.is_commit) {
        commit_source_->CommitSettled(false);
        continue;
      }
      const std::string extent = std::to_string(i.extent);
      broken.emplace(i.extent,
                     Status::IOError((written[k].ok() ? "a flush covering extent " + extent
                                                      : "an earlier write to extent " + extent) +
                                     " failed: " + failure.ToString()));
      continue;
    }
    i.node->MarkDurable();
    if (i.is_commit) {
      commit_source_->CommitSettled(true);
      continue;
    }
    uint32_t& frontier = frontier_[i.extent];
    if (i.offset <= frontier) frontier = std::max(frontier, i.offset + i.size);
  }
  flushing_.clear();
  flush_done_.NotifyAll();
  for (const auto& [extent, why] : broken) FailQueuedFrom(extent, why);
  return flushed;
}

void IoScheduler::AwaitFlush() {
  sync::UniqueLock lock(*mu_, std::adopt_lock);  // held by the caller, and still on return
  // Until *that* flush completes, not until none is in flight: the flusher may start the next
  // one before a waiter it woke gets the mutex, and a waiter whose writes are settled must not
  // sit through flushes that have nothing of its own.
  const uint64_t in_flight = flushes_started_;
  while (!flushing_.empty() && flushes_started_ == in_flight) flush_done_.Wait(lock);
  if (!flushing_.empty()) SS_COVER(kWaiterWokeUnderNextFlush);
  lock.release();
}

Status IoScheduler::Step(bool* progress) {
  *progress = false;
  if (!flushing_.empty() && SS_SEEDED_BUG(kCommitOvertakesFlushInFlight)) {
    // Pipelined: a commit whose inputs that flush covers is written meanwhile, then flushed.
    const size_t first = issued_.size();
    IssueCommitIfReady(progress);
    if (issued_.size() > first && !issued_.back().bytes.empty()) {
      Issued& commit = issued_.back();
      const Status written = disk_->Write(commit.extent, commit.offset, commit.bytes);
      commit.bytes = PageBytes();
      if (!written.ok()) {
        const std::shared_ptr<WriteNode> node = commit.node;
        issued_.pop_back();
        Fail(*node, written);
        commit_source_->CommitSettled(false);
      }
    }
    while (!flushing_.empty()) AwaitFlush();
    *progress = true;
    return issued_.empty() ? Status::Ok() : FlushIssued();
  }
  if (!flushing_.empty()) {
    // Another driver's flush is in flight; what it settles is this step's progress. Writes
    // issued now would wait for it anyway before a flush of their own.
    AwaitFlush();
    *progress = true;
    return Status::Ok();
  }
  const size_t first_issued = issued_.size();
  IssueReadyWrites(progress);
  SealCommitBeingWritten(first_issued);
  IssueCommitIfReady(progress);
  if (issued_.empty()) return Status::Ok();
  *progress = true;
  return FlushIssued();
}

Status IoScheduler::DriveAll() {
  // Each step settles at least one write or commit, so the bound is generous.
  for (uint64_t steps = 0;; ++steps) {
    SS_ASSERT(steps <= stats_.writes_queued + stats_.commits + 4);
    if (!flushing_.empty() && queues_.empty() && pending_commits_.empty()) {
      // Nothing of this driver's own to issue, but another's flush is in flight: what it covers
      // was written before this call, so Step waits for it.
      SS_COVER(kDriveAllFoundFlushInFlight);
    }
    bool progress = false;
    SS_RETURN_IF_ERROR(Step(&progress));
    if (!progress) return Status::Ok();
  }
}

Status IoScheduler::DriveUntil(const WriteNode& node) {
  for (uint64_t steps = 0; !node.Settled(); ++steps) {
    SS_ASSERT(steps <= stats_.writes_queued + stats_.commits + 4);
    bool progress = false;
    SS_RETURN_IF_ERROR(Step(&progress));
    if (!progress && !node.Settled()) {
      return Status::IOError("write " + std::to_string(node.id) +
                             " cannot make progress (it waits on a write of another store?)");
    }
  }
  return Status::Ok();
}

Status IoScheduler::DriveUntilSettled(const WriteNode& node) {
  sync::LockGuard lock(*mu_);
  return DriveUntil(node);
}

}  // namespace shardstore
