// CountingDisk: a ForwardingDisk that counts the bytes written and the flushes made through it,
// for benchmarks' write amplification (bytes reaching the device / bytes put) and flushes per
// acknowledgement, and the write IOs and the time spent in writes and in flushes (a profile of
// how busy the engine keeps the device).
//
// Thread-safety: as the disk it forwards to; the counts are atomic.
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
    ++writes_;
    return Timed(write_ns_, [&] { return ForwardingDisk::Write(extent, offset, data); });
  }
  Status WriteGather(uint32_t extent, uint32_t offset, std::span<const ByteView> pieces) override {
    for (ByteView piece : pieces) bytes_ += piece.size();
    ++writes_;
    return Timed(write_ns_, [&] { return ForwardingDisk::WriteGather(extent, offset, pieces); });
  }
  Status Flush() override {
    ++flushes_;
    return Timed(flush_ns_, [&] { return ForwardingDisk::Flush(); });
  }
  uint64_t bytes() const { return bytes_; }
  uint64_t flushes() const { return flushes_; }
  uint64_t writes() const { return writes_; }  // write IOs (a gather is one)
  // Nanoseconds spent inside Write/WriteGather and inside Flush, summed over callers.
  uint64_t write_ns() const { return write_ns_; }
  uint64_t flush_ns() const { return flush_ns_; }

 private:
  template <typename Call>
  static Status Timed(std::atomic<uint64_t>& total_ns, Call call) {
    const auto start = std::chrono::steady_clock::now();
    Status status = call();
    total_ns += static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now() - start)
                                          .count());
    return status;
  }

  std::atomic<uint64_t> bytes_{0};
  std::atomic<uint64_t> flushes_{0};
  std::atomic<uint64_t> writes_{0};
  std::atomic<uint64_t> write_ns_{0};
  std::atomic<uint64_t> flush_ns_{0};
};

}  // namespace shardstore::bench
