// Small helpers shared by the benchmarks: fatal errors, timing, percentiles, flag values.
#pragma once

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "shardstore/image_disk.h"

namespace shardstore::bench {

using Clock = std::chrono::steady_clock;

[[noreturn]] inline void Die(const std::string& program, const std::string& message) {
  fmt::print(stderr, "{}: {}\n", program, message);
  std::exit(1);
}

inline double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The `fraction` quantile (0.5: the median) of `latencies_us`, which it reorders; 0 when empty.
inline double Percentile(std::vector<uint32_t>& latencies_us, double fraction) {
  if (latencies_us.empty()) return 0;
  const auto at = static_cast<size_t>(fraction * static_cast<double>(latencies_us.size() - 1));
  std::nth_element(latencies_us.begin(), latencies_us.begin() + static_cast<std::ptrdiff_t>(at),
                   latencies_us.end());
  return latencies_us[at];
}

// A positive whole number for `flag`, or exit 2 with a message.
inline uint64_t ParseNumber(const std::string& program, const char* flag, const char* text) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0' || v == 0) {
    fmt::print(stderr, "{}: {} needs a positive number\n", program, flag);
    std::exit(2);
  }
  return v;
}

// The disk a `--disk` flag names (file or uring), or exit 2 with a message.
inline DiskKind ParseDisk(const std::string& program, const char* text) {
  const std::optional<DiskKind> kind = ParseDiskKind(text);
  if (!kind) {
    fmt::print(stderr, "{}: --disk needs file or uring\n", program);
    std::exit(2);
  }
  return *kind;
}

}  // namespace shardstore::bench
