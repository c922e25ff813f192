// Coverage points: named counters on paths a checker should reach ("reclaim evacuated a chunk",
// "compaction dropped a tombstone"). A checker run reports how often each was hit, so the paths
// its generators never reach show up as zeros instead of as false confidence.
//
// A point is declared once at namespace scope in a .cc file and hit at its site:
//
//   SS_COVERAGE_POINT(kEvacuatedChunk, "reclaim evacuated a chunk");
//   ...
//   SS_COVER(kEvacuatedChunk);
//
// Points register themselves at static initialization, so a point that is never hit is still
// listed. Hitting one is a relaxed atomic increment. The engine's own points exist only in a
// checked build (its src/hooks/coverage_site.h); harnesses and users' components may declare
// theirs in any build.
//
// Thread-safety: thread-safe. Declare points at namespace scope only (they register during
// static initialization, which runs on one thread).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace shardstore::coverage {

class Point;
namespace detail {
// The newest registered point: a list threaded through the points. Inline and constant-
// initialized, so the engine's points register without linking this library, in any order.
inline const Point* last = nullptr;
}  // namespace detail

class Point {
 public:
  // REQUIRES: `name` outlives the program (a string literal); at namespace scope.
  explicit Point(std::string_view name) : name_(name), previous_(detail::last) {
    detail::last = this;
  }
  Point(const Point&) = delete;
  Point& operator=(const Point&) = delete;
  void Hit() { hits_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  std::string_view name() const { return name_; }
  const Point* previous() const { return previous_; }  // registered before this one, or null

 private:
  std::string_view name_;
  std::atomic<uint64_t> hits_{0};
  const Point* previous_;
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
