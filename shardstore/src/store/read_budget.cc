#include "store/read_budget.h"

#include <string>

#include "shardstore/assert.h"

namespace shardstore {

ReadBudget::ReadBudget(uint64_t bytes) : capacity_(bytes), free_(bytes) { SS_ASSERT(bytes > 0); }

void ReadBudget::Acquire(uint64_t bytes) {
  SS_ASSERT(bytes <= capacity_);
  sync::UniqueLock lock(mu_);
  if (free_ < bytes && sync::Watched()) {
    sync::Note("read budget: waits for " + std::to_string(bytes) + " bytes, " +
               std::to_string(free_) + " of " + std::to_string(capacity_) + " free");
  }
  released_.Wait(lock, [&] { return free_ >= bytes; });
  free_ -= bytes;
  if (sync::Watched()) {
    sync::Note("read budget: took " + std::to_string(bytes) + " bytes, " + std::to_string(free_) +
               " of " + std::to_string(capacity_) + " left");
  }
}

void ReadBudget::Release(uint64_t bytes) {
  {
    sync::LockGuard lock(mu_);
    SS_ASSERT(free_ + bytes <= capacity_);
    free_ += bytes;
    if (sync::Watched()) {
      sync::Note("read budget: gave back " + std::to_string(bytes) + " bytes, " +
                 std::to_string(free_) + " of " + std::to_string(capacity_) + " free");
    }
  }
  released_.NotifyAll();
}

}  // namespace shardstore
