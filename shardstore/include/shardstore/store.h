// Store: the shard store's public API — put, get, delete and list shards on one disk.
//
// A shard is a key (1 to kKeyBytesMax bytes) and a value (up to kValueBytesMax bytes), stored as
// one or more chunks of at most `chunk_payload_bytes_max` payload bytes. Put and Delete return
// at once with a Dependency that becomes persistent when the change would survive a crash;
// Flush() or Dependency::Wait() makes it so. Get and List see every change made so far,
// persistent or not.
//
// Interim index: until the LSM index lands, the key → locators map lives in memory and Open
// rebuilds it by scanning every data extent (chunk headers carry the key and a sequence number;
// the newest complete version of a key wins, a tombstone deletes; a damaged newest version makes
// Get return Corruption). Open therefore reads every data byte. docs/architecture.md tracks
// this.
//
// Thread-safety: thread-safe. Dependency::Wait() must not be called from inside a Store method.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shardstore/dependency.h"
#include "shardstore/disk.h"
#include "shardstore/limits.h"
#include "shardstore/locator.h"
#include "shardstore/status.h"
#include "shardstore/sync.h"
#include "shardstore/types.h"

namespace shardstore {

class ChunkStore;

struct StoreOptions {
  Disk* disk = nullptr;          // REQUIRED; not owned; must outlive the Store
  bool format_if_blank = false;  // a blank disk is formatted only when asked
  uint64_t seed = 1;             // the only source of randomness (chunk UUIDs)
  // Largest payload of one chunk; a larger value spans several chunks. 0 picks
  // min(kChunkPayloadBytesDefault, extent_bytes / 4), so chunks pack well into extents.
  uint32_t chunk_payload_bytes_max = 0;
};

struct ExtentStat {
  uint32_t extent = 0;
  std::string owner;
  uint32_t write_pointer = 0;
  uint64_t live_bytes = 0;  // bytes of chunks the index still points at
};

struct StoreStat {
  DiskGeometry geometry;
  uint64_t superblock_sequence = 0;
  uint64_t keys = 0;
  uint64_t live_bytes = 0;
  uint32_t free_extents = 0;
  std::vector<ExtentStat> extents;
};

class Store {
 public:
  // Formats `disk`: every extent free, everything it held is gone.
  static Status Format(Disk* disk, uint64_t seed);
  // Opens (recovers) the store on options.disk. InvalidArgument for a blank disk (unless
  // format_if_blank), a disk of another format or version, or a geometry mismatch; Corruption
  // when no valid superblock survives.
  static StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options);

  // Abandons writes that are not yet persistent, as a crash would. Use Shutdown() to close
  // cleanly.
  ~Store();

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  StatusOr<Dependency> Put(std::string_view key, ByteView value);
  // NotFound when the key has no value.
  StatusOr<Bytes> Get(std::string_view key);
  // Deleting an absent key succeeds with a persistent Dependency.
  StatusOr<Dependency> Delete(std::string_view key);
  // Every key with a value, in ascending byte order.
  StatusOr<std::vector<std::string>> List();

  // Makes every change so far persistent. IOError when some write failed since the last Flush
  // (its Dependency says which); the store keeps serving.
  Status Flush();
  // Refuse further calls, then Flush. After a successful Shutdown every Dependency this store
  // returned is persistent.
  Status Shutdown();

  StoreStat Stat();

 private:
  struct Entry {
    uint64_t sequence = 0;
    std::vector<Locator> parts;
    std::optional<Status> damage;  // set when recovery found this version's chunks damaged
  };

  Store(const StoreOptions& options, std::unique_ptr<ChunkStore> chunks);
  Status Recover();
  Status CheckOpen() const;
  Status CheckKey(std::string_view key) const;

  const StoreOptions options_;  // chunk_payload_bytes_max resolved
  std::unique_ptr<ChunkStore> chunks_;
  mutable sync::Mutex mu_;
  std::map<std::string, Entry, std::less<>> index_;  // guarded by mu_
  bool shut_down_ = false;                           // guarded by mu_
};

}  // namespace shardstore
