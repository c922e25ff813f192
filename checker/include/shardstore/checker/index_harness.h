// IndexHarness: the LSM index (over a real ChunkStore on a MemDisk) against IndexModel.
//
// Put inserts an entry naming made-up data locators (the index never reads data chunks), so
// the harness exercises the index alone: memtable, runs stored as chunks, metadata, the
// superblock's index root, compaction, evacuation of index extents, and recovery. Reclaim
// picks an index or metadata extent, evacuates it as the Store would (flush, rewrite the runs
// and metadata it holds), checks nothing live remains there, and resets it. Reboot flushes,
// reopens the chunk store and recovers the index from its root.
//
// Checked after every step: each lookup and List against the model; live run and metadata
// bytes lie in index or metadata extents, below their write pointers. After a reboot and in
// Finish(): every key, and the stored runs read back equal to the ones in memory.
#pragma once

#include <memory>

#include "chunkstore/chunk_store.h"
#include "index/lsm_index.h"
#include "shardstore/checker/harness.h"
#include "shardstore/limits.h"
#include "shardstore/models/index_model.h"
#include "shardstore/sim/mem_disk.h"

namespace shardstore::checker {

class IndexHarness final : public Harness {
 public:
  static constexpr DiskGeometry kGeometry{12, 16 * kPageBytes};
  static constexpr uint32_t kRunChunkPayloadBytes = 1024;  // small, so runs span chunks
  static constexpr uint32_t kKeyCount = 6;

  IndexHarness();
  ~IndexHarness() override;

  // The made-up data locators Put(key, size, fill) records.
  static std::vector<Locator> Parts(uint32_t size, uint8_t fill);

 protected:
  std::optional<std::string> Step(const Op& op) override;
  std::optional<std::string> FinishChecks() override;

 private:
  std::optional<std::string> Open(uint64_t faults_before);
  std::vector<std::string> ModelKeys() const;
  std::optional<std::string> CheckLookup(const std::string& key);
  std::optional<std::string> CheckEveryKey();
  std::optional<std::string> CheckInvariants();
  std::optional<std::string> Reclaim(uint32_t selector, uint64_t faults_before);

  MemDisk disk_;
  std::shared_ptr<internal::DriverLink> promise_link_;
  std::unique_ptr<ChunkStore> chunks_;
  std::unique_ptr<LsmIndex> index_;
  models::IndexModel model_;
};

}  // namespace shardstore::checker
