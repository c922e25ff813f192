#include "shardstore/checker/generators.h"

#include <vector>

#include "chunk/chunk_format.h"
#include "shardstore/checker/chunk_store_harness.h"
#include "shardstore/checker/index_harness.h"
#include "shardstore/checker/store_harness.h"

namespace shardstore::checker {
namespace {

template <typename T>
rc::Gen<T> Weighted(std::initializer_list<std::pair<std::size_t, rc::Gen<T>>> choices) {
  return rc::gen::weightedOneOf<T>(choices);
}

// Sizes where the framing changes, for a 1-byte key and for a key at the limit, and a chunk
// limit of `chunk_bytes`: a frame of exactly one page and one byte either side, a page, the
// chunk limit and one byte either side, several chunks. `extent_bytes` (0: none) adds payloads
// whose frame (1-byte key) fills an extent exactly, and one byte more, which must be refused.
rc::Gen<uint32_t> ValueSize(uint32_t chunk_bytes, uint32_t extent_bytes = 0) {
  const uint32_t framing = kChunkHeaderBytes + kChunkTrailerBytes;
  const uint32_t page_frame = kPageBytes - framing - 1;
  const uint32_t long_key_page_frame = kPageBytes - framing - kKeyBytesMax;
  std::vector<uint32_t> edges = {0,
                                 1,
                                 page_frame - 1,
                                 page_frame,
                                 page_frame + 1,
                                 long_key_page_frame,
                                 long_key_page_frame + 1,
                                 kPageBytes - 1,
                                 kPageBytes,
                                 kPageBytes + 1,
                                 chunk_bytes - 1,
                                 chunk_bytes,
                                 chunk_bytes + 1,
                                 2 * chunk_bytes,
                                 2 * chunk_bytes + 1,
                                 3 * chunk_bytes + 7,
                                 6 * chunk_bytes + 3};
  if (extent_bytes > 0) {
    edges.push_back(extent_bytes - framing - 1);
    edges.push_back(extent_bytes - framing);
  }
  return Weighted<uint32_t>({
      {4, rc::gen::elementOf(edges)},
      {2, rc::gen::inRange<uint32_t>(0, 4 * chunk_bytes)},
  });
}

// Values for Fill: around the chunk limit and several chunks, so a few dozen Puts fill the disk;
// now and then empty values (a page each), which fill it in many small steps.
rc::Gen<uint32_t> FillSize(uint32_t chunk_bytes) {
  return Weighted<uint32_t>({
      {1, rc::gen::just<uint32_t>(0)},
      {4, rc::gen::element<uint32_t>(chunk_bytes - 1, chunk_bytes, chunk_bytes + 1,
                                     2 * chunk_bytes + 1, 3 * chunk_bytes + 7)},
  });
}

// Mostly one-letter keys; now and then a key of the limit or one byte short of it; with
// `too_long`, rarely a key one byte past it, which must be refused.
rc::Gen<uint32_t> AnyKey(uint32_t letters, bool too_long = false) {
  const uint32_t at_limit = kKeyBytesMax;
  rc::Gen<uint32_t> valid = Weighted<uint32_t>({
      {16, rc::gen::inRange<uint32_t>(0, letters)},
      {3, rc::gen::elementOf(std::vector<uint32_t>{at_limit, at_limit - 1})},
  });
  if (!too_long) return valid;
  return Weighted<uint32_t>({{19, valid}, {1, rc::gen::just<uint32_t>(at_limit + 1)}});
}

// Prefers keys that hold a value.
rc::Gen<uint32_t> KeyFor(const GenState& state, uint32_t key_count, bool too_long) {
  if (state.present.empty()) return AnyKey(key_count, too_long);
  const std::vector<uint32_t> present(state.present.begin(), state.present.end());
  return Weighted<uint32_t>({{3, rc::gen::elementOf(present)}, {1, AnyKey(key_count, too_long)}});
}

rc::Gen<uint32_t> Selector() { return rc::gen::inRange<uint32_t>(0, 64); }

rc::Gen<Op> Get(const GenState& s, uint32_t keys, bool too_long) {
  return rc::gen::map(KeyFor(s, keys, too_long), op::Get);
}
rc::Gen<Op> Delete(const GenState& s, uint32_t keys, bool too_long) {
  return rc::gen::map(KeyFor(s, keys, too_long), op::Delete);
}
rc::Gen<Op> Put(uint32_t keys, uint32_t chunk_bytes, bool too_long) {
  return rc::gen::apply(op::Put, AnyKey(keys, too_long), ValueSize(chunk_bytes),
                        rc::gen::arbitrary<uint8_t>());
}
// Transient IO errors: reads only when `writes` is false.
rc::Gen<Op> FailDiskOnce(bool writes) {
  return rc::gen::apply(
      [](uint32_t selector, bool write, uint8_t skip) {
        return op::FailDiskOnce(selector, write ? FaultIo::kWrite : FaultIo::kRead, skip);
      },
      Selector(), writes ? rc::gen::arbitrary<bool>() : rc::gen::just(false),
      Weighted<uint8_t>({{3, rc::gen::just<uint8_t>(0)}, {1, rc::gen::inRange<uint8_t>(0, 4)}}));
}

// A power cut: at once, during a flush, or during the next ops; few pages kept, rarely torn.
rc::Gen<Op> DirtyReboot() {
  return rc::gen::apply(
      [](uint8_t type, uint8_t barrier, uint32_t keep_mask, uint32_t torn_page, uint8_t sectors) {
        return op::DirtyReboot(static_cast<RebootType>(type), barrier, keep_mask, torn_page,
                               sectors);
      },
      rc::gen::inRange<uint8_t>(0, 3), rc::gen::inRange<uint8_t>(1, 6),
      rc::gen::arbitrary<uint32_t>(),
      Weighted<uint32_t>({{3, rc::gen::just<uint32_t>(0)}, {1, rc::gen::inRange<uint32_t>(1, 9)}}),
      rc::gen::inRange<uint8_t>(1, 8));
}

// The store's and the index's alphabet; the store's alone has power cuts.
rc::Gen<Op> KvOp(const GenState& s, uint32_t keys, uint32_t chunk_bytes, bool index_level,
                 bool exploring) {
  // The index sees keys only after the store checked them: too long ones are the store's.
  const bool too_long = !index_level;
  rc::Gen<Op> common = Weighted<Op>({
      {4, Get(s, keys, too_long)},
      {6, Put(keys, chunk_bytes, too_long)},
      {2, Delete(s, keys, too_long)},
      {1, rc::gen::just(op::List())},
      {2, rc::gen::just(op::IndexFlush())},
      {1, rc::gen::just(op::Compact())},
      {3, rc::gen::map(Selector(), op::Reclaim)},
      {1, rc::gen::just(op::Reboot())},
      {1, FailDiskOnce(!index_level)},
  });
  if (index_level) return common;
  // Rarer than a Put: Fill runs up to kFillPutsMax of them.
  return Weighted<Op>({
      {42, std::move(common)},
      {2, DirtyReboot()},
      {2, rc::gen::just(op::DropCache())},
      {exploring ? 0u : 2u,
       rc::gen::apply(op::Corrupt, Selector(), rc::gen::arbitrary<uint32_t>())},
      {exploring ? 0u : 1u,
       rc::gen::apply(op::Fill, FillSize(chunk_bytes), rc::gen::arbitrary<uint8_t>())},
  });
}

}  // namespace

void GenState::Apply(const Op& op) {
  if (op.kind == OpKind::kPut && op.key <= kKeyBytesMax) present.insert(op.key);
  if (op.kind == OpKind::kDelete) present.erase(op.key);
}

rc::Gen<Op> GenOp(HarnessKind harness, const GenState& state, bool exploring) {
  switch (harness) {
    case HarnessKind::kStore:
      return KvOp(state, StoreHarness::kKeyCount, StoreHarness::kChunkPayloadBytes, false,
                  exploring);
    case HarnessKind::kIndex:
      return KvOp(state, IndexHarness::kKeyCount, kPageBytes, true, false);
    case HarnessKind::kChunkStore:
      return Weighted<Op>({
          {4, rc::gen::map(Selector(), op::Read)},
          {5, rc::gen::apply(op::Append, AnyKey(ChunkStoreHarness::kKeyCount, true),
                             ValueSize(2 * kPageBytes, ChunkStoreHarness::kGeometry.extent_bytes),
                             rc::gen::arbitrary<uint8_t>())},
          {1, rc::gen::map(Selector(), op::Reset)},
          {1, rc::gen::just(op::Flush())},
          {1, rc::gen::just(op::Reboot())},
          {1, rc::gen::apply(op::Corrupt, Selector(), rc::gen::arbitrary<uint32_t>())},
          {1, DirtyReboot()},
          {1, rc::gen::just(op::DropCache())},
      });
  }
  return rc::gen::just(op::List());
}

}  // namespace shardstore::checker
