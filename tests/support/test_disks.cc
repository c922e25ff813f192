#include "support/test_disks.h"

namespace shardstore::testing {

Status PowerCutDisk::Write(uint32_t extent, uint32_t offset, ByteView data) {
  if (cut_) return Status::IOError("power cut");
  return ForwardingDisk::Write(extent, offset, data);
}

Status PowerCutDisk::Flush() {
  if (!cut_ && ++flushes_ == stop_at_) cut_ = true;
  if (cut_) return Status::IOError("power cut");
  return ForwardingDisk::Flush();
}

}  // namespace shardstore::testing
