// ReadCache: a bounded LRU cache of verified chunks, by locator.
//
// A cached chunk is the frame as read from the disk, verified once, with views of its key and
// payload into it: filling the cache copies nothing, and readers share the frame.
//
// A locator names bytes only until its extent is reset; DropExtent must be called on every
// reset, or a later chunk at the same place would be served as the old one.
//
// Thread-safety: not thread-safe; ChunkStore serializes access.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>

#include "chunk/chunk_format.h"
#include "shardstore/locator.h"

namespace shardstore {

// A verified frame. `view` points into `frame`, which it keeps alive; immutable once built.
struct CachedChunk {
  std::unique_ptr<uint8_t[]> frame;
  uint32_t frame_bytes = 0;
  ChunkView view;
};

class ReadCache {
 public:
  explicit ReadCache(uint64_t capacity_bytes) : capacity_bytes_(capacity_bytes) {}

  // The cached chunk at `locator`, or null.
  std::shared_ptr<const CachedChunk> Lookup(const Locator& locator);
  void Insert(const Locator& locator, std::shared_ptr<const CachedChunk> chunk);
  // Forgets every chunk of `extent`.
  void DropExtent(uint32_t extent);
  // Forgets every chunk.
  void Clear();

  uint64_t size_bytes() const { return size_bytes_; }
  size_t entries() const { return index_.size(); }

 private:
  using Lru = std::list<std::pair<Locator, std::shared_ptr<const CachedChunk>>>;
  void Evict(Lru::iterator it);

  const uint64_t capacity_bytes_;
  uint64_t size_bytes_ = 0;
  Lru lru_;  // most recent first
  std::map<Locator, Lru::iterator> index_;
};

}  // namespace shardstore
