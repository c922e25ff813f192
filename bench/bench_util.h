// Small helpers shared by the benchmarks: fatal errors, timing, flag values.
#pragma once

#include <fmt/core.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace shardstore::bench {

using Clock = std::chrono::steady_clock;

[[noreturn]] inline void Die(const std::string& program, const std::string& message) {
  fmt::print(stderr, "{}: {}\n", program, message);
  std::exit(1);
}

inline double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
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

}  // namespace shardstore::bench
