// The chunk store against ChunkStoreModel: random operation lists run on both (the store picks
// locators, the model records them), every read compared, failing lists shrunk by RapidCheck.
// Checked after every step: a read returns exactly the chunk last appended at its locator, or
// fails if its extent was reset since; appends never overlap a live chunk; a write pointer moves
// back only when its extent is reset.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <memory>
#include <sstream>

#include "shardstore/limits.h"
#include "shardstore/mem_disk.h"
#include "shardstore/models/chunk_store_model.h"
#include "store/chunk_store.h"

namespace shardstore {
namespace {

constexpr DiskGeometry kGeometry{10, 16 * kPageBytes};

struct Op {
  enum class Kind { kAppend, kRead, kReset, kFlush, kReopen } kind = Kind::kFlush;
  uint32_t key = 0;       // kAppend
  uint32_t size = 0;      // kAppend
  uint8_t fill = 0;       // kAppend
  uint32_t selector = 0;  // kRead, kReset: which earlier chunk / extent
};

std::ostream& operator<<(std::ostream& os, const Op& op) {
  switch (op.kind) {
    case Op::Kind::kAppend:
      return os << "Append(k" << op.key << ", " << op.size << " bytes, fill " << int{op.fill}
                << ")";
    case Op::Kind::kRead:
      return os << "Read(#" << op.selector << ")";
    case Op::Kind::kReset:
      return os << "Reset(#" << op.selector << ")";
    case Op::Kind::kFlush:
      return os << "Flush";
    case Op::Kind::kReopen:
      return os << "Reopen";
  }
  return os;
}

rc::Gen<Op> GenOp() {
  using Kind = Op::Kind;
  return rc::gen::weightedOneOf<Op>({
      {5, rc::gen::build<Op>(
              rc::gen::set(&Op::kind, rc::gen::just(Kind::kAppend)),
              rc::gen::set(&Op::key, rc::gen::inRange<uint32_t>(0, 4)),
              rc::gen::set(&Op::size,
                           rc::gen::weightedOneOf<uint32_t>(
                               {{3, rc::gen::element<uint32_t>(0, 1, 3999, 4000, 4001, 8000)},
                                {1, rc::gen::inRange<uint32_t>(0, 20000)}})),
              rc::gen::set(&Op::fill))},
      {4, rc::gen::build<Op>(rc::gen::set(&Op::kind, rc::gen::just(Kind::kRead)),
                             rc::gen::set(&Op::selector))},
      {1, rc::gen::build<Op>(rc::gen::set(&Op::kind, rc::gen::just(Kind::kReset)),
                             rc::gen::set(&Op::selector))},
      {1, rc::gen::build<Op>(rc::gen::set(&Op::kind, rc::gen::just(Kind::kFlush)))},
      {1, rc::gen::build<Op>(rc::gen::set(&Op::kind, rc::gen::just(Kind::kReopen)))},
  });
}

Bytes Payload(uint32_t size, uint8_t fill) {
  Bytes payload(size);
  for (uint32_t i = 0; i < size; ++i) payload[i] = static_cast<uint8_t>(fill + i * 7);
  return payload;
}

RC_GTEST_PROP(ChunkStoreConformance, ChunkStoreBehavesLikeItsModel, ()) {
  const auto ops = *rc::gen::container<std::vector<Op>>(GenOp());
  MemDisk disk(kGeometry);
  auto open = [&] {
    auto opened = ChunkStore::Open({&disk, 1, /*format_if_blank=*/true});
    RC_ASSERT(opened.ok());
    return std::move(opened).value();
  };
  std::unique_ptr<ChunkStore> store = open();
  models::ChunkStoreModel model;
  std::vector<Locator> appended;  // every locator ever returned, reset or not
  std::vector<uint32_t> write_pointers(kGeometry.extent_count, 0);

  for (const Op& op : ops) {
    std::optional<uint32_t> reset_extent;
    switch (op.kind) {
      case Op::Kind::kAppend: {
        ChunkHeader header;
        header.sequence = store->NextSequence();
        const std::string key = "k" + std::to_string(op.key);
        auto result = store->Append(ExtentOwner::kData, header, key, Payload(op.size, op.fill), {});
        if (result.status().IsNoSpace()) break;  // a full disk is allowed to refuse
        RC_ASSERT(result.ok());
        RC_ASSERT(model.Append(result->locator, {key, Payload(op.size, op.fill)}));
        appended.push_back(result->locator);
        break;
      }
      case Op::Kind::kRead: {
        if (appended.empty()) break;
        const Locator at = appended[op.selector % appended.size()];
        auto got = store->Read(at);
        const auto want = model.Read(at);
        if (want) {
          RC_ASSERT(got.ok());
          RC_ASSERT(got->key == want->key);
          RC_ASSERT(got->payload == want->payload);
        } else {
          RC_ASSERT(!got.ok());  // its extent was reset: never the old bytes
        }
        break;
      }
      case Op::Kind::kReset: {
        const auto extents = model.Extents();
        if (extents.empty()) break;
        reset_extent = extents[op.selector % extents.size()];
        RC_ASSERT(store->Reset(*reset_extent).ok());
        model.ResetExtent(*reset_extent);
        break;
      }
      case Op::Kind::kFlush:
        RC_ASSERT(store->Flush().ok());
        break;
      case Op::Kind::kReopen:
        RC_ASSERT(store->Flush().ok());
        store.reset();
        store = open();
        break;
    }
    // Write pointers only move back on reset.
    const auto extents = store->Extents();
    for (uint32_t e = 1; e < kGeometry.extent_count; ++e) {
      if (reset_extent != e) RC_ASSERT(extents[e].write_pointer >= write_pointers[e]);
      write_pointers[e] = extents[e].write_pointer;
    }
  }
}

}  // namespace
}  // namespace shardstore
