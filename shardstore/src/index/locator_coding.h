// Encoding of a Locator inside index runs and metadata: extent u32 | offset u32 | length u32.
#pragma once

#include "shardstore/limits.h"
#include "shardstore/locator.h"
#include "util/coding.h"

namespace shardstore {

inline constexpr size_t kEncodedLocatorBytes = 12;

inline void PutLocator(coding::Writer& w, const Locator& l) {
  w.U32(l.extent);
  w.U32(l.offset);
  w.U32(l.length);
}

// Reads a locator; false when it is truncated or malformed (empty, or not aligned as frames are).
inline bool GetLocator(coding::Reader& r, Locator* l) {
  l->extent = r.U32();
  l->offset = r.U32();
  l->length = r.U32();
  return !r.failed() && l->length != 0 && l->offset % kFrameAlignBytes == 0 &&
         l->length % kFrameAlignBytes == 0;
}

}  // namespace shardstore
