// Coverage points: named counters on engine paths a checker should reach ("reclaim evacuated a
// chunk", "compaction dropped a tombstone"). A checker run reports how often each was hit, so
// the paths its generators never reach show up as zeros instead of as false confidence.
//
// A point is declared once at namespace scope in a .cc file and hit at its site:
//
//   SS_COVERAGE_POINT(kEvacuatedChunk, "reclaim evacuated a chunk");
//   ...
//   SS_COVER(kEvacuatedChunk);
//
// Points register themselves at static initialization, so a point that is never hit is still
// listed. Hitting one is a relaxed atomic increment.
//
// Thread-safety: thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace shardstore::coverage {

class Point {
 public:
  // REQUIRES: `name` outlives the program (a string literal).
  explicit Point(std::string_view name);
  Point(const Point&) = delete;
  Point& operator=(const Point&) = delete;
  void Hit() { hits_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  std::string_view name() const { return name_; }

 private:
  std::string_view name_;
  std::atomic<uint64_t> hits_{0};
};

// Hits of every registered point so far, by name.
std::map<std::string, uint64_t> Snapshot();
// What was hit between two snapshots (every point of `after`, possibly zero).
std::map<std::string, uint64_t> Delta(const std::map<std::string, uint64_t>& before,
                                      const std::map<std::string, uint64_t>& after);

}  // namespace shardstore::coverage

#define SS_COVERAGE_POINT(id, name) \
  static ::shardstore::coverage::Point id { name }
#define SS_COVER(id) (id).Hit()
