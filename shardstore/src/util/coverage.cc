#include "shardstore/coverage.h"

#include <vector>

#include "shardstore/sync.h"

namespace shardstore::coverage {
namespace {

struct Registry {
  sync::Mutex mu;
  std::vector<const Point*> points;
};

// Constructed on first use: points in other files register during static initialization.
Registry& GetRegistry() {
  static Registry* registry = new Registry();
  return *registry;
}

}  // namespace

Point::Point(std::string_view name) : name_(name) {
  Registry& registry = GetRegistry();
  sync::LockGuard lock(registry.mu);
  registry.points.push_back(this);
}

std::map<std::string, uint64_t> Snapshot() {
  Registry& registry = GetRegistry();
  sync::LockGuard lock(registry.mu);
  std::map<std::string, uint64_t> hits;
  for (const Point* point : registry.points) hits[std::string(point->name())] += point->hits();
  return hits;
}

std::map<std::string, uint64_t> Delta(const std::map<std::string, uint64_t>& before,
                                      const std::map<std::string, uint64_t>& after) {
  std::map<std::string, uint64_t> delta;
  for (const auto& [name, hits] : after) {
    auto it = before.find(name);
    delta[name] = hits - (it == before.end() ? 0 : it->second);
  }
  return delta;
}

}  // namespace shardstore::coverage
