#include "index/run_format.h"

#include <string>

#include "hooks/coverage_site.h"
#include "index/locator_coding.h"
#include "shardstore/limits.h"
#include "util/coding.h"

namespace shardstore {
namespace {

// run   := magic u32 | entry_count u32 | entry*
// entry := key_bytes u16 | key | sequence u64 | flags u8 (bit 0: tombstone) | part_count u32 |
//          (extent u32 | offset u32 | length u32)[part_count]
Status Bad(const std::string& what) { return Status::Corruption("index run: " + what); }

SS_COVERAGE_POINT(kRunKeyAtLimit, "index run held a key of exactly kKeyBytesMax bytes");

}  // namespace

Bytes EncodeRun(const RunEntries& entries) {
  SS_ASSERT(entries.size() <= kRunEntriesMax);
  Bytes out;
  coding::Writer w(&out);
  w.U32(kRunMagic);
  w.U32(static_cast<uint32_t>(entries.size()));
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& [key, entry] = entries[i];
    SS_ASSERT(!key.empty() && key.size() <= kKeyBytesMax);
    if (key.size() == kKeyBytesMax) SS_COVER(kRunKeyAtLimit);
    SS_ASSERT(i == 0 || entries[i - 1].first < key);
    SS_ASSERT(!entry.tombstone || entry.parts.empty());
    w.U16(static_cast<uint16_t>(key.size()));
    w.Raw(AsBytes(key));
    w.U64(entry.sequence);
    w.U8(entry.tombstone ? 1 : 0);
    w.U32(static_cast<uint32_t>(entry.parts.size()));
    for (const Locator& l : entry.parts) PutLocator(w, l);
  }
  return out;
}

StatusOr<RunEntries> DecodeRun(ByteView bytes) {
  coding::Reader r(bytes);
  if (r.U32() != kRunMagic) return Bad("bad magic");
  const uint32_t count = r.U32();
  if (r.failed()) return Bad("truncated header");
  if (count > kRunEntriesMax) return Bad("too many entries");
  RunEntries entries;
  // Each entry takes at least 16 bytes: bound the reservation by what the input can hold.
  entries.reserve(std::min<size_t>(count, bytes.size() / 16));
  for (uint32_t i = 0; i < count; ++i) {
    const uint16_t key_bytes = r.U16();
    const ByteView key = r.Raw(key_bytes);
    IndexEntry entry;
    entry.sequence = r.U64();
    const uint8_t flags = r.U8();
    const uint32_t parts = r.U32();
    if (r.failed()) return Bad("truncated entry " + std::to_string(i));
    if (key_bytes == 0 || key_bytes > kKeyBytesMax) return Bad("bad key length");
    if (flags > 1) return Bad("bad flags");
    entry.tombstone = flags == 1;
    if (parts > kChunkPartsMax || (entry.tombstone && parts != 0) ||
        (!entry.tombstone && parts == 0)) {
      return Bad("bad part count " + std::to_string(parts));
    }
    if (bytes.size() - r.position() < uint64_t{parts} * kEncodedLocatorBytes) {
      return Bad("truncated locators");
    }
    entry.parts.reserve(parts);
    for (uint32_t p = 0; p < parts; ++p) {
      Locator l;
      if (!GetLocator(r, &l)) return Bad("malformed locator " + l.ToString());
      entry.parts.push_back(l);
    }
    std::string key_text(AsText(key));
    if (!entries.empty() && !(entries.back().first < key_text)) return Bad("keys out of order");
    entries.emplace_back(std::move(key_text), std::move(entry));
  }
  if (r.position() != bytes.size()) return Bad("trailing bytes");
  return entries;
}

}  // namespace shardstore
