// The IO scheduler never issues a write before its inputs are durable, checked against MemDisk's
// log of writes and flushes over random dependency graphs, commits and partial drives.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>

#include "io/dependency_access.h"
#include "io/io_scheduler.h"
#include "shardstore/limits.h"
#include "shardstore/sim/mem_disk.h"

namespace shardstore {
namespace {

using Kind = MemDisk::Event::Kind;
constexpr uint32_t kExtents = 4;  // extent 0 takes the commits, one page each
constexpr uint32_t kExtentPages = 64;

class PageCommitSource : public CommitSource {
 public:
  PageWrite ProduceCommit() override {
    const uint32_t page = produced_++;
    RC_ASSERT(page < kExtentPages);
    return PageWrite{0, page * kPageBytes, PageBytes(kPageBytes, 1)};
  }
  void CommitSettled(bool) override {}

 private:
  uint32_t produced_ = 0;
};

// What a write or commit request waited for: ids of earlier writes and of earlier commit
// requests.
struct Inputs {
  std::set<int> writes;
  std::set<int> commits;
};

// One write the test made, by id: where it went and what it waited for.
struct Record {
  uint32_t extent = 0;
  uint32_t offset = 0;
  Inputs inputs;
  Dependency dependency;
};

RC_GTEST_PROP(IoSchedulerProperty, NeverIssuesBeforeInputsAreDurable, ()) {
  MemDisk disk({kExtents, kExtentPages * kPageBytes});
  disk.RecordEvents(true);
  sync::Mutex mu;
  PageCommitSource source;
  IoScheduler scheduler(&disk, &mu);
  scheduler.SetCommitSource(&source);

  std::vector<Record> writes;
  std::map<uint32_t, uint32_t> next_offset;  // per data extent
  // Commits are not known by id until issued; remember their Dependency and inputs.
  struct CommitRecord {
    Dependency dependency;
    Inputs inputs;
  };
  std::vector<CommitRecord> commit_requests;

  // Up to two earlier writes or commits (a write may wait for a commit, as appends to a reset
  // extent wait for the superblock that records the reset).
  auto pick_inputs = [&](Inputs* ids) {
    Dependency after;
    const int count = *rc::gen::inRange(0, 3);
    for (int i = 0; i < count; ++i) {
      const bool commit =
          !commit_requests.empty() && (writes.empty() || *rc::gen::inRange(0, 4) == 0);
      if (commit) {
        const int id = *rc::gen::inRange<int>(0, static_cast<int>(commit_requests.size()));
        ids->commits.insert(id);
        after = after.And(commit_requests[id].dependency);
      } else if (!writes.empty()) {
        const int id = *rc::gen::inRange<int>(0, static_cast<int>(writes.size()));
        ids->writes.insert(id);
        after = after.And(writes[id].dependency);
      }
    }
    return after;
  };

  const int steps = *rc::gen::inRange(1, 60);
  for (int step = 0; step < steps; ++step) {
    const int action = *rc::gen::inRange(0, 10);
    if (action < 6) {
      const uint32_t extent = *rc::gen::inRange<uint32_t>(1, kExtents);
      const uint32_t pages = *rc::gen::inRange<uint32_t>(1, 3);
      if (next_offset[extent] + pages > kExtentPages) continue;
      Record record;
      record.extent = extent;
      record.offset = next_offset[extent] * kPageBytes;
      next_offset[extent] += pages;
      Dependency after = pick_inputs(&record.inputs);
      {
        sync::LockGuard lock(mu);
        record.dependency =
            scheduler.Write(extent, record.offset, PageBytes(pages * kPageBytes, 7), after);
      }
      writes.push_back(std::move(record));
    } else if (action < 8) {
      CommitRecord commit;
      Dependency after = pick_inputs(&commit.inputs);
      sync::LockGuard lock(mu);
      commit.dependency = scheduler.RequestCommit(after);
      commit_requests.push_back(std::move(commit));
    } else if (!writes.empty()) {
      const int id = *rc::gen::inRange<int>(0, static_cast<int>(writes.size()));
      RC_ASSERT(writes[id].dependency.Wait().ok());
    }
  }
  {
    sync::LockGuard lock(mu);
    RC_ASSERT(scheduler.DriveAll().ok());
  }
  for (const Record& w : writes) RC_ASSERT(w.dependency.IsPersistent());
  for (const CommitRecord& c : commit_requests) RC_ASSERT(c.dependency.IsPersistent());

  // Event index of the disk write that carried (extent, offset).
  const auto events = disk.Events();
  auto issued_at = [&](uint32_t extent, uint32_t offset) {
    for (size_t i = 0; i < events.size(); ++i) {
      const auto& e = events[i];
      if (e.kind == Kind::kWrite && e.extent == extent && offset >= e.offset &&
          offset < e.offset + e.bytes) {
        return static_cast<int>(i);
      }
    }
    RC_FAIL("write never issued");
    return -1;
  };
  auto flush_between = [&](int before, int after) {
    for (int i = before + 1; i < after; ++i) {
      if (events[i].kind == Kind::kFlush) return true;
    }
    return false;
  };
  // Commit k is the k-th write to extent 0. Requests share a commit when they share its node;
  // commits are issued in node-id order.
  std::vector<int> commit_events;
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].kind == Kind::kWrite && events[i].extent == 0) {
      commit_events.push_back(static_cast<int>(i));
    }
  }
  for (size_t k = 1; k < commit_events.size(); ++k) {
    RC_ASSERT(flush_between(commit_events[k - 1], commit_events[k]));
  }
  std::set<uint64_t> commit_ids;
  for (const CommitRecord& c : commit_requests)
    commit_ids.insert(DependencyAccess::Nodes(c.dependency)[0]->id);
  RC_ASSERT(commit_ids.size() == commit_events.size());
  auto commit_at = [&](int request) {
    const uint64_t id =
        DependencyAccess::Nodes(commit_requests[request].dependency)[0]->id;
    return commit_events[static_cast<size_t>(
        std::distance(commit_ids.begin(), commit_ids.find(id)))];
  };
  // Everything an issued write or commit waited for was written and flushed before it.
  auto check_inputs = [&](const Inputs& inputs, int at) {
    for (int input : inputs.writes) {
      const int input_at = issued_at(writes[input].extent, writes[input].offset);
      RC_ASSERT(input_at < at);
      RC_ASSERT(flush_between(input_at, at));
    }
    for (int input : inputs.commits) {
      const int input_at = commit_at(input);
      RC_ASSERT(input_at < at);
      RC_ASSERT(flush_between(input_at, at));
    }
  };
  for (const Record& w : writes) check_inputs(w.inputs, issued_at(w.extent, w.offset));
  for (size_t c = 0; c < commit_requests.size(); ++c) {
    check_inputs(commit_requests[c].inputs, commit_at(static_cast<int>(c)));
  }
}

}  // namespace
}  // namespace shardstore
