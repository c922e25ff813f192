#include "shardstore/sim/coverage.h"

namespace shardstore::coverage {

std::map<std::string, uint64_t> Snapshot() {
  std::map<std::string, uint64_t> hits;
  for (const Point* point = detail::last; point != nullptr; point = point->previous()) {
    hits[std::string(point->name())] += point->hits();
  }
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
