// CountingDisk: a ForwardingDisk that counts the bytes written and the flushes made through it,
// for benchmarks' write amplification (bytes reaching the device / bytes put) and flushes per
// acknowledgement.
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
  Status Flush() override {
    ++flushes_;
    return ForwardingDisk::Flush();
  }
  uint64_t bytes() const { return bytes_; }
  uint64_t flushes() const { return flushes_; }

 private:
  std::atomic<uint64_t> bytes_{0};
  std::atomic<uint64_t> flushes_{0};
};

}  // namespace shardstore::bench
