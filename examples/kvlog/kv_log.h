// KvLog: a small key-value store over a shardstore Disk — the example component that
// examples/kvlog checks with shardstore's checkers, from outside the shardstore tree.
//
// Every Put appends one record (one 4 KiB page) to a log that fills the disk's extents in order,
// and updates an in-memory map. Sync() makes every Put before it durable (a Disk Flush). Open()
// recovers: it reads the log from its first page while each record is whole (magic, checksum)
// and in place (its slot number), and no older than the one before it (its generation: a record
// left from before a crash, past the point recovery cut the log, is older than the records that
// later overwrote the log up to it). A crash keeps every Synced Put and, of the others, a prefix
// in log order.
//
// Seeded bugs (to prove the checks), chosen by the environment variable KVLOG_SEEDED_BUG when a
// KvLog opens: `overwrite_keeps_first` — a Put of a key that already has a value leaves the old
// value in the map (an emplace where an assignment belongs), which every check sees;
// `sync_skips_flush` — Sync returns without flushing the disk, which only a crash shows.
//
// Thread-safety: thread-safe: one shardstore::sync::Mutex, so the deterministic scheduler sees
// every lock and the disk's IO as scheduling points.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "shardstore/disk.h"
#include "shardstore/status.h"
#include "shardstore/sync.h"

namespace kvlog {

inline constexpr size_t kKeyBytesMax = 64;
inline constexpr size_t kValueBytesMax = 1024;

class KvLog {
 public:
  // Recovers the log on `disk` (a blank disk is an empty log). `disk` must outlive the KvLog.
  static shardstore::StatusOr<std::unique_ptr<KvLog>> Open(shardstore::Disk* disk);

  // InvalidArgument for an empty or too long key or a too long value; NoSpace when the disk is
  // full; IOError from the disk (the map then keeps its old value).
  shardstore::Status Put(std::string_view key, std::string_view value);
  std::optional<std::string> Get(std::string_view key);
  // Makes every Put so far durable.
  shardstore::Status Sync();
  // The whole map, for checks.
  std::map<std::string, std::string> Contents();

 private:
  KvLog(shardstore::Disk* disk, uint64_t next_slot, uint32_t generation,
        std::map<std::string, std::string> map);

  shardstore::Disk* const disk_;
  const uint64_t slots_;         // pages on the disk
  const uint32_t generation_;    // newer than every record on the disk when it opened
  const bool keep_first_;        // seeded bug overwrite_keeps_first
  const bool sync_skips_flush_;  // seeded bug sync_skips_flush
  shardstore::sync::Mutex mu_;
  uint64_t next_slot_;                      // guarded by mu_
  std::map<std::string, std::string> map_;  // guarded by mu_
};

}  // namespace kvlog
