// Little-endian fixed-width encoding into byte buffers, and a bounds-checked reader for decoding
// untrusted bytes. Every on-disk structure is encoded through these, never by memcpy of a struct.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "shardstore/assert.h"
#include "shardstore/types.h"

namespace shardstore::coding {

inline void Put8(uint8_t* p, uint8_t v) { p[0] = v; }
inline void Put16(uint8_t* p, uint16_t v) {
  for (int i = 0; i < 2; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void Put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void Put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline uint16_t Get16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (uint16_t{p[1]} << 8));
}
inline uint32_t Get32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
inline uint64_t Get64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Appends fixed-width little-endian values to a growing buffer.
class Writer {
 public:
  explicit Writer(Bytes* out) : out_(out) {}
  void U8(uint8_t v) { out_->push_back(v); }
  void U16(uint16_t v) {
    Grow(2, [&](uint8_t* p) { Put16(p, v); });
  }
  void U32(uint32_t v) {
    Grow(4, [&](uint8_t* p) { Put32(p, v); });
  }
  void U64(uint64_t v) {
    Grow(8, [&](uint8_t* p) { Put64(p, v); });
  }
  void Raw(ByteView bytes) { out_->insert(out_->end(), bytes.begin(), bytes.end()); }

 private:
  template <typename Fn>
  void Grow(size_t n, Fn&& fn) {
    out_->resize(out_->size() + n);
    fn(out_->data() + out_->size() - n);
  }
  Bytes* out_;
};

// Reads fixed-width values from untrusted bytes. A read past the end sets failed() and yields
// zeros instead of touching memory out of bounds, so decoders check failed() once at the end.
class Reader {
 public:
  explicit Reader(ByteView bytes) : bytes_(bytes) {}
  uint8_t U8() { return Take(1) ? bytes_[pos_ - 1] : 0; }
  uint16_t U16() { return Take(2) ? Get16(&bytes_[pos_ - 2]) : 0; }
  uint32_t U32() { return Take(4) ? Get32(&bytes_[pos_ - 4]) : 0; }
  uint64_t U64() { return Take(8) ? Get64(&bytes_[pos_ - 8]) : 0; }
  ByteView Raw(size_t n) { return Take(n) ? bytes_.subspan(pos_ - n, n) : ByteView(); }
  bool failed() const { return failed_; }
  size_t position() const { return pos_; }

 private:
  bool Take(size_t n) {
    if (failed_ || bytes_.size() - pos_ < n) {
      failed_ = true;
      return false;
    }
    pos_ += n;
    return true;
  }
  ByteView bytes_;
  size_t pos_ = 0;
  bool failed_ = false;
};

inline uint64_t RoundUp(uint64_t value, uint64_t multiple) {
  SS_ASSERT(multiple > 0);
  return (value + multiple - 1) / multiple * multiple;
}
inline uint64_t RoundDown(uint64_t value, uint64_t multiple) {
  SS_ASSERT(multiple > 0);
  return value / multiple * multiple;
}

}  // namespace shardstore::coding
