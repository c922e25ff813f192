// Disk wrappers for tests.
#pragma once

#include <cstdint>

#include "shardstore/disk.h"
#include "shardstore/sim/mem_disk.h"

namespace shardstore::testing {

// Models power loss at a chosen flush: the `stop_at`-th Flush (1-based) and every call after it
// fail without reaching the disk, so what that flush would have made durable is still pending
// in the MemDisk underneath, ready for MemDisk::Crash to keep, drop or tear.
class PowerCutDisk : public ForwardingDisk {
 public:
  PowerCutDisk(MemDisk* disk, uint64_t stop_at) : ForwardingDisk(disk), stop_at_(stop_at) {}

  Status Write(uint32_t extent, uint32_t offset, ByteView data) override;
  Status Flush() override;
  bool cut() const { return cut_; }

 private:
  uint64_t stop_at_;
  uint64_t flushes_ = 0;
  bool cut_ = false;
};

}  // namespace shardstore::testing
