// StoreHarness: the whole Store against KvModel, on a small MemDisk so that background
// reclamation, index flushes, compaction and NoSpace all happen within a few dozen steps.
//
// After every step it checks, besides each operation's result:
//   - no extent holds more live bytes than it has written;
//   - a write pointer moves back only when its extent is reset;
//   - the live bytes of data extents are exactly the frames the model's values need;
//   - NoSpace only when the model's values fill more than half of the usable data space.
// After a clean Reboot: the extent table (owners, write pointers) is exactly what it was before
// the shutdown, and every key reads back. Finish() reads every live chunk and the whole index
// back from the disk (Store::Verify).
//
// FailDiskOnce(read) arms a transient read error on one extent. The step in which it fires may
// fail with IOError (never any other error, never wrong bytes); a reboot retries the open.
#pragma once

#include <memory>
#include <vector>

#include "shardstore/checker/harness.h"
#include "shardstore/limits.h"
#include "shardstore/mem_disk.h"
#include "shardstore/models/kv_model.h"
#include "shardstore/store.h"

namespace shardstore::checker {

class StoreHarness final : public Harness {
 public:
  static constexpr DiskGeometry kGeometry{10, 16 * kPageBytes};
  static constexpr uint32_t kChunkPayloadBytes = 8 * 1024;
  static constexpr uint32_t kKeyCount = 6;

  StoreHarness();
  ~StoreHarness() override;

 protected:
  std::optional<std::string> Step(const Op& op) override;
  std::optional<std::string> FinishChecks() override;

 private:
  std::optional<std::string> Open(uint64_t faults_before);
  std::optional<std::string> Reboot(uint64_t faults_before);
  // A Get may fail with IOError only when an injected fault fired after `faults_before`.
  std::optional<std::string> CheckGet(const std::string& key, uint64_t faults_before);
  std::optional<std::string> CheckEveryKey(uint64_t faults_before);
  std::optional<std::string> CheckInvariants();
  // Bytes of chunk frames the model's values take on disk.
  uint64_t ModelFootprintBytes() const;
  uint64_t FootprintBytes(const std::string& key, uint64_t value_bytes) const;
  // Extents a selector may pick: those holding live data, else every used one.
  std::vector<uint32_t> ReclaimCandidates();

  MemDisk disk_;
  StoreOptions options_;
  std::unique_ptr<Store> store_;
  models::KvModel model_;
  std::vector<ExtentStat> extents_;  // by extent, as last seen; owner "free" when free
};

}  // namespace shardstore::checker
