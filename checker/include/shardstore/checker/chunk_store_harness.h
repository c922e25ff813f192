// ChunkStoreHarness: the chunk store against ChunkStoreModel.
//
// The store picks locators; the harness records each one in the model as the store returns
// it. Read(#n) reads the n-th locator ever returned (reset or not): the store must return
// exactly the chunk last appended there, or fail if its extent was reset since. Reset(#n)
// resets the n-th extent holding chunks. Reboot flushes and reopens.
//
// Checked after every step: appends never overlap a chunk still there; a write pointer moves
// back only when its extent is reset. After a reboot and in Finish(): every chunk the model
// holds reads back, from the disk.
#pragma once

#include <memory>
#include <vector>

#include "shardstore/checker/harness.h"
#include "shardstore/limits.h"
#include "shardstore/mem_disk.h"
#include "shardstore/models/chunk_store_model.h"
#include "store/chunk_store.h"

namespace shardstore::checker {

class ChunkStoreHarness final : public Harness {
 public:
  static constexpr DiskGeometry kGeometry{10, 16 * kPageBytes};
  static constexpr uint32_t kKeyCount = 4;

  ChunkStoreHarness();
  ~ChunkStoreHarness() override;

 protected:
  std::optional<std::string> Step(const Op& op) override;
  std::optional<std::string> FinishChecks() override;

 private:
  void Open();
  std::optional<std::string> CheckRead(const Locator& at, bool uncached);

  MemDisk disk_;
  std::unique_ptr<ChunkStore> store_;
  models::ChunkStoreModel model_;
  std::vector<Locator> appended_;  // every locator ever returned, reset or not
  std::vector<uint32_t> write_pointers_;
};

}  // namespace shardstore::checker
