// CountingDisk: a ForwardingDisk that counts the bytes written through it, for benchmarks'
// write amplification (bytes reaching the device / bytes put).
//
// Thread-safety: as the disk it forwards to; the count is atomic.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>

#include "shardstore/disk.h"

namespace shardstore::bench {

class CountingDisk : public ForwardingDisk {
 public:
  using ForwardingDisk::ForwardingDisk;
  Status Write(uint32_t extent, uint32_t offset, ByteView data) override {
    bytes_ += data.size();
    return ForwardingDisk::Write(extent, offset, data);
  }
  Status WriteGather(uint32_t extent, uint32_t offset, std::span<const ByteView> pieces) override {
    for (ByteView piece : pieces) bytes_ += piece.size();
    return ForwardingDisk::WriteGather(extent, offset, pieces);
  }
  uint64_t bytes() const { return bytes_; }

 private:
  std::atomic<uint64_t> bytes_{0};
};

}  // namespace shardstore::bench
