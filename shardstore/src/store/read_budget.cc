#include "store/read_budget.h"

#include "shardstore/assert.h"

namespace shardstore {

ReadBudget::ReadBudget(uint64_t bytes) : capacity_(bytes), free_(bytes) { SS_ASSERT(bytes > 0); }

void ReadBudget::Acquire(uint64_t bytes) {
  SS_ASSERT(bytes <= capacity_);
  sync::UniqueLock lock(mu_);
  released_.Wait(lock, [&] { return free_ >= bytes; });
  free_ -= bytes;
}

void ReadBudget::Release(uint64_t bytes) {
  {
    sync::LockGuard lock(mu_);
    SS_ASSERT(free_ + bytes <= capacity_);
    free_ += bytes;
  }
  released_.NotifyAll();
}

}  // namespace shardstore
