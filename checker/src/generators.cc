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

// Sizes where the framing changes, for a 1-byte key and a chunk limit of `chunk_bytes`.
rc::Gen<uint32_t> ValueSize(uint32_t chunk_bytes) {
  const uint32_t page_frame = kPageBytes - kChunkHeaderBytes - kChunkTrailerBytes - 1;
  return Weighted<uint32_t>({
      {4, rc::gen::element<uint32_t>(0, 1, page_frame - 1, page_frame, page_frame + 1,
                                     kPageBytes - 1, kPageBytes, kPageBytes + 1, chunk_bytes - 1,
                                     chunk_bytes, chunk_bytes + 1, 2 * chunk_bytes + 1,
                                     3 * chunk_bytes + 7, 6 * chunk_bytes + 3)},
      {2, rc::gen::inRange<uint32_t>(0, 4 * chunk_bytes)},
  });
}

rc::Gen<uint32_t> AnyKey(uint32_t key_count) { return rc::gen::inRange<uint32_t>(0, key_count); }

// Prefers keys that hold a value.
rc::Gen<uint32_t> KeyFor(const GenState& state, uint32_t key_count) {
  if (state.present.empty()) return AnyKey(key_count);
  const std::vector<uint32_t> present(state.present.begin(), state.present.end());
  return Weighted<uint32_t>({{3, rc::gen::elementOf(present)}, {1, AnyKey(key_count)}});
}

rc::Gen<uint32_t> Selector() { return rc::gen::inRange<uint32_t>(0, 64); }

rc::Gen<Op> Get(const GenState& s, uint32_t keys) { return rc::gen::map(KeyFor(s, keys), op::Get); }
rc::Gen<Op> Delete(const GenState& s, uint32_t keys) {
  return rc::gen::map(KeyFor(s, keys), op::Delete);
}
rc::Gen<Op> Put(uint32_t keys, uint32_t chunk_bytes) {
  return rc::gen::apply(op::Put, AnyKey(keys), ValueSize(chunk_bytes),
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
rc::Gen<Op> KvOp(const GenState& s, uint32_t keys, uint32_t chunk_bytes, bool index_level) {
  rc::Gen<Op> common = Weighted<Op>({
      {4, Get(s, keys)},
      {6, Put(keys, chunk_bytes)},
      {2, Delete(s, keys)},
      {1, rc::gen::just(op::List())},
      {2, rc::gen::just(op::IndexFlush())},
      {1, rc::gen::just(op::Compact())},
      {3, rc::gen::map(Selector(), op::Reclaim)},
      {1, rc::gen::just(op::Reboot())},
      {1, FailDiskOnce(!index_level)},
  });
  if (index_level) return common;
  return Weighted<Op>({{21, std::move(common)}, {1, DirtyReboot()}});
}

}  // namespace

void GenState::Apply(const Op& op) {
  if (op.kind == OpKind::kPut) present.insert(op.key);
  if (op.kind == OpKind::kDelete) present.erase(op.key);
}

rc::Gen<Op> GenOp(HarnessKind harness, const GenState& state) {
  switch (harness) {
    case HarnessKind::kStore:
      return KvOp(state, StoreHarness::kKeyCount, StoreHarness::kChunkPayloadBytes, false);
    case HarnessKind::kIndex:
      return KvOp(state, IndexHarness::kKeyCount, kPageBytes, true);
    case HarnessKind::kChunkStore:
      return Weighted<Op>({
          {4, rc::gen::map(Selector(), op::Read)},
          {5, rc::gen::apply(op::Append, AnyKey(ChunkStoreHarness::kKeyCount),
                             ValueSize(2 * kPageBytes), rc::gen::arbitrary<uint8_t>())},
          {1, rc::gen::map(Selector(), op::Reset)},
          {1, rc::gen::just(op::Flush())},
          {1, rc::gen::just(op::Reboot())},
          {1, rc::gen::apply(op::Corrupt, Selector(), rc::gen::arbitrary<uint32_t>())},
          {1, DirtyReboot()},
      });
  }
  return rc::gen::just(op::List());
}

}  // namespace shardstore::checker
