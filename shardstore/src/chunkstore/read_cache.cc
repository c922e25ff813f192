#include "chunkstore/read_cache.h"

namespace shardstore {
namespace {
uint64_t Cost(const CachedChunk& chunk) { return uint64_t{chunk.frame_bytes} + 64; }
}  // namespace

std::shared_ptr<const CachedChunk> ReadCache::Lookup(const Locator& locator) {
  auto it = index_.find(locator);
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

void ReadCache::Insert(const Locator& locator, std::shared_ptr<const CachedChunk> chunk) {
  const uint64_t cost = Cost(*chunk);
  if (cost > capacity_bytes_) return;
  if (auto it = index_.find(locator); it != index_.end()) Evict(it->second);
  lru_.emplace_front(locator, std::move(chunk));
  index_[locator] = lru_.begin();
  size_bytes_ += cost;
  while (size_bytes_ > capacity_bytes_) Evict(std::prev(lru_.end()));
}

void ReadCache::DropExtent(uint32_t extent) {
  auto it = index_.lower_bound(Locator{extent, 0, 0});
  while (it != index_.end() && it->first.extent == extent) {
    auto next = std::next(it);
    Evict(it->second);
    it = next;
  }
}

void ReadCache::Clear() {
  lru_.clear();
  index_.clear();
  size_bytes_ = 0;
}

void ReadCache::Evict(Lru::iterator it) {
  size_bytes_ -= Cost(*it->second);
  index_.erase(it->first);
  lru_.erase(it);
}

}  // namespace shardstore
