// Locator: where a chunk lives — (extent, offset, length) of its whole frame on the disk.
//
// Thread-safety: a plain value.
#pragma once

#include <cstdint>
#include <string>

namespace shardstore {

struct Locator {
  uint32_t extent = 0;
  uint32_t offset = 0;  // bytes from the extent start; page aligned
  uint32_t length = 0;  // frame bytes; a multiple of the page size

  uint64_t end() const { return uint64_t{offset} + length; }
  std::string ToString() const {
    return "(" + std::to_string(extent) + "," + std::to_string(offset) + "," +
           std::to_string(length) + ")";
  }
  friend bool operator==(const Locator&, const Locator&) = default;
  friend auto operator<=>(const Locator&, const Locator&) = default;
};

}  // namespace shardstore
