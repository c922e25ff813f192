#include "shardstore/store.h"

#include <algorithm>
#include <string>

#include "store/chunk_store.h"

namespace shardstore {

Status Store::Format(Disk* disk, uint64_t seed) { return ChunkStore::Format(disk, seed); }

StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& requested) {
  SS_ASSERT_MSG(requested.disk != nullptr, "StoreOptions.disk is required");
  StoreOptions options = requested;
  if (options.chunk_payload_bytes_max == 0) {
    options.chunk_payload_bytes_max =
        std::min(kChunkPayloadBytesDefault, options.disk->geometry().extent_bytes / 4);
  }
  if (options.chunk_payload_bytes_max == 0 ||
      options.chunk_payload_bytes_max > kChunkPayloadBytesMax) {
    return Status::InvalidArgument("chunk_payload_bytes_max must be in [1, " +
                                   std::to_string(kChunkPayloadBytesMax) + "]");
  }
  const uint32_t largest_frame = ChunkFrameBytes(kKeyBytesMax, options.chunk_payload_bytes_max);
  if (largest_frame > options.disk->geometry().extent_bytes) {
    return Status::InvalidArgument("a chunk of " +
                                   std::to_string(options.chunk_payload_bytes_max) +
                                   " payload bytes does not fit in an extent of " +
                                   std::to_string(options.disk->geometry().extent_bytes) +
                                   " bytes; lower chunk_payload_bytes_max");
  }
  ChunkStoreOptions chunk_options;
  chunk_options.disk = options.disk;
  chunk_options.seed = options.seed;
  chunk_options.format_if_blank = options.format_if_blank;
  SS_ASSIGN_OR_RETURN(std::unique_ptr<ChunkStore> chunks, ChunkStore::Open(chunk_options));
  std::unique_ptr<Store> store(new Store(options, std::move(chunks)));
  SS_RETURN_IF_ERROR(store->Recover());
  return store;
}

Store::Store(const StoreOptions& options, std::unique_ptr<ChunkStore> chunks)
    : options_(options), chunks_(std::move(chunks)) {}

Store::~Store() = default;

Status Store::Recover() {
  // Interim index: rebuild key -> newest complete version by scanning every data extent.
  struct Version {
    ChunkKind kind = ChunkKind::kData;
    uint32_t part_count = 0;
    std::map<uint32_t, Locator> parts;
    std::optional<Status> damage;  // a part lies below the write pointer but fails to verify
  };
  std::map<std::string, std::map<uint64_t, Version>, std::less<>> seen;
  for (uint32_t extent : chunks_->ExtentsOwnedBy(ExtentOwner::kData)) {
    SS_RETURN_IF_ERROR(chunks_->Scan(extent, [&](const Locator& locator, const ChunkView& chunk) {
      if (chunk.header.kind != ChunkKind::kData && chunk.header.kind != ChunkKind::kTombstone) {
        return;
      }
      Version& version = seen[std::string(chunk.key)][chunk.header.sequence];
      version.kind = chunk.header.kind;
      version.part_count = chunk.header.part_count;
      version.parts[chunk.header.part_index] = locator;
    }, [&](const Locator& locator, const ChunkHeader& header, std::string_view key,
           const Status& status) {
      // The header checksum covers the key and the sequence, so the damage is attributed to the
      // right key and we know whether it hides that key's newest version.
      if (header.kind != ChunkKind::kData && header.kind != ChunkKind::kTombstone) return;
      Version& version = seen[std::string(key)][header.sequence];
      version.kind = header.kind;
      version.damage = status.WithContext("chunk at " + locator.ToString());
    }));
  }
  sync::LockGuard lock(mu_);
  for (auto& [key, versions] : seen) {
    for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
      const Version& version = it->second;
      if (version.damage) {
        // The newest persisted version is unreadable: report it, never an older value.
        index_.emplace(key, Entry{it->first, {}, version.damage});
        break;
      }
      if (version.kind == ChunkKind::kTombstone) break;
      if (version.parts.size() != version.part_count) continue;  // torn multi-chunk put
      Entry entry{it->first, {}, std::nullopt};
      for (const auto& [index, locator] : version.parts) entry.parts.push_back(locator);
      index_.emplace(key, std::move(entry));
      break;
    }
  }
  return Status::Ok();
}

Status Store::CheckOpen() const {
  if (shut_down_) return Status::InvalidArgument("the store is shut down");
  return Status::Ok();
}

Status Store::CheckKey(std::string_view key) const {
  if (key.empty() || key.size() > kKeyBytesMax) {
    return Status::InvalidArgument("a key must have 1 to " + std::to_string(kKeyBytesMax) +
                                   " bytes (got " + std::to_string(key.size()) + ")");
  }
  return Status::Ok();
}

StatusOr<Dependency> Store::Put(std::string_view key, ByteView value) {
  SS_RETURN_IF_ERROR(CheckKey(key));
  if (value.size() > kValueBytesMax) {
    return Status::InvalidArgument("value larger than " + std::to_string(kValueBytesMax) +
                                   " bytes");
  }
  sync::LockGuard lock(mu_);
  SS_RETURN_IF_ERROR(CheckOpen());
  const uint64_t part_bytes = options_.chunk_payload_bytes_max;
  const uint64_t parts_needed = value.empty() ? 1 : (value.size() + part_bytes - 1) / part_bytes;
  if (parts_needed > kChunkPartsMax) {
    return Status::InvalidArgument("a value of " + std::to_string(value.size()) + " bytes needs " +
                                   std::to_string(parts_needed) + " chunks; the limit is " +
                                   std::to_string(kChunkPartsMax));
  }
  const auto part_count = static_cast<uint32_t>(parts_needed);
  Entry entry{chunks_->NextSequence(), {}, std::nullopt};
  Dependency persistent;
  for (uint32_t part = 0; part < part_count; ++part) {
    ChunkHeader header;
    header.kind = ChunkKind::kData;
    header.sequence = entry.sequence;
    header.part_index = part;
    header.part_count = part_count;
    const size_t begin = part * part_bytes;
    const ByteView slice = value.subspan(begin, std::min<size_t>(part_bytes, value.size() - begin));
    // On failure the parts already appended stay unreferenced; recovery ignores an incomplete
    // version, so the previous value stays visible.
    SS_ASSIGN_OR_RETURN(ChunkStore::Appended appended,
                        chunks_->Append(ExtentOwner::kData, header, key, slice, Dependency()));
    entry.parts.push_back(appended.locator);
    persistent = persistent.And(appended.dependency);
  }
  index_.insert_or_assign(std::string(key), std::move(entry));
  return persistent;
}

StatusOr<Bytes> Store::Get(std::string_view key) {
  SS_RETURN_IF_ERROR(CheckKey(key));
  std::vector<Locator> parts;
  uint64_t sequence = 0;
  {
    sync::LockGuard lock(mu_);
    SS_RETURN_IF_ERROR(CheckOpen());
    auto it = index_.find(key);
    if (it == index_.end()) return Status::NotFound("no shard " + std::string(key));
    if (it->second.damage) return *it->second.damage;
    parts = it->second.parts;
    sequence = it->second.sequence;
  }
  Bytes value;
  for (uint32_t part = 0; part < parts.size(); ++part) {
    SS_ASSIGN_OR_RETURN(ChunkStore::Chunk chunk, chunks_->Read(parts[part]));
    // The frame verified; make sure it is the frame the index meant.
    if (chunk.key != key || chunk.header.kind != ChunkKind::kData ||
        chunk.header.sequence != sequence || chunk.header.part_index != part ||
        chunk.header.part_count != parts.size()) {
      return Status::Corruption("chunk at " + parts[part].ToString() +
                                " is not part " + std::to_string(part) + " of shard " +
                                std::string(key));
    }
    value.insert(value.end(), chunk.payload.begin(), chunk.payload.end());
  }
  return value;
}

StatusOr<Dependency> Store::Delete(std::string_view key) {
  SS_RETURN_IF_ERROR(CheckKey(key));
  sync::LockGuard lock(mu_);
  SS_RETURN_IF_ERROR(CheckOpen());
  auto it = index_.find(key);
  if (it == index_.end()) return Dependency();
  ChunkHeader header;
  header.kind = ChunkKind::kTombstone;
  header.sequence = chunks_->NextSequence();
  SS_ASSIGN_OR_RETURN(ChunkStore::Appended appended,
                      chunks_->Append(ExtentOwner::kData, header, key, ByteView(), Dependency()));
  index_.erase(it);
  return appended.dependency;
}

StatusOr<std::vector<std::string>> Store::List() {
  sync::LockGuard lock(mu_);
  SS_RETURN_IF_ERROR(CheckOpen());
  std::vector<std::string> keys;
  keys.reserve(index_.size());
  for (const auto& [key, entry] : index_) keys.push_back(key);
  return keys;
}

Status Store::Flush() {
  {
    sync::LockGuard lock(mu_);
    SS_RETURN_IF_ERROR(CheckOpen());
  }
  return chunks_->Flush();
}

Status Store::Shutdown() {
  {
    // Refuse new calls first; Put and Delete append under mu_, so none is half done now.
    sync::LockGuard lock(mu_);
    SS_RETURN_IF_ERROR(CheckOpen());
    shut_down_ = true;
  }
  return chunks_->Flush();
}

StoreStat Store::Stat() {
  StoreStat stat;
  stat.geometry = chunks_->geometry();
  stat.superblock_sequence = chunks_->superblock_sequence();
  const std::vector<ChunkStore::ExtentInfo> extents = chunks_->Extents();
  std::vector<uint64_t> live(extents.size(), 0);
  {
    sync::LockGuard lock(mu_);
    stat.keys = index_.size();
    for (const auto& [key, entry] : index_) {
      for (const Locator& locator : entry.parts) live[locator.extent] += locator.length;
    }
  }
  for (uint32_t e = 0; e < extents.size(); ++e) {
    if (extents[e].owner == ExtentOwner::kFree) {
      ++stat.free_extents;
      continue;
    }
    stat.extents.push_back({e, std::string(ExtentOwnerName(extents[e].owner)),
                            extents[e].write_pointer, live[e]});
    stat.live_bytes += live[e];
  }
  return stat;
}

}  // namespace shardstore
