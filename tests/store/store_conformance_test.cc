// The store against its reference model: random sequences of operations run on both, every
// observable result compared, failing sequences shrunk by RapidCheck. Arguments are biased
// towards the interesting: a small key pool, Gets and Deletes of keys already put, value sizes at
// page and chunk boundaries, Reclaim of extents that hold live data, a small disk so that
// reclamation really runs.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <memory>
#include <sstream>

#include "chunk/chunk_format.h"
#include "shardstore/mem_disk.h"
#include "shardstore/models/kv_model.h"
#include "shardstore/store.h"

namespace shardstore {
namespace {

using Model = models::KvModel;

constexpr uint32_t kChunkPayload = 8 * 1024;
constexpr DiskGeometry kGeometry{24, 16 * kPageBytes};
const std::vector<std::string> kKeys = {"a", "b", "c", "d", "e", "f"};

struct Sut {
  Sut() : disk(std::make_unique<MemDisk>(kGeometry)) {
    options.disk = disk.get();
    options.format_if_blank = true;
    options.chunk_payload_bytes_max = kChunkPayload;
    options.memtable_entries_max = 6;
    options.level0_runs_max = 3;
    Reopen();
  }
  void Reopen() {
    store.reset();
    auto opened = Store::Open(options);
    RC_ASSERT(opened.ok());
    store = std::move(opened).value();
  }
  std::unique_ptr<MemDisk> disk;
  StoreOptions options;
  std::unique_ptr<Store> store;
};

Bytes MakeValue(size_t size, uint8_t fill) {
  Bytes value(size);
  for (size_t i = 0; i < size; ++i) value[i] = static_cast<uint8_t>(fill + i * 131);
  return value;
}

// Gets and Deletes prefer keys the model holds.
rc::Gen<std::string> KeyFor(const Model& model) {
  const auto present = model.List();
  if (present.empty()) return rc::gen::elementOf(kKeys);
  return rc::gen::weightedOneOf<std::string>(
      {{3, rc::gen::elementOf(present)}, {1, rc::gen::elementOf(kKeys)}});
}

// Sizes cluster where framing changes: empty, one byte, the edge of a one-page frame, the chunk
// limit, several chunks.
rc::Gen<size_t> ValueSize() {
  const size_t one_page = kPageBytes - kChunkHeaderBytes - kChunkTrailerBytes - 1;  // 1-byte key
  return rc::gen::weightedOneOf<size_t>(
      {{4, rc::gen::element<size_t>(0, 1, one_page - 1, one_page, one_page + 1, kChunkPayload - 1,
                                    kChunkPayload, kChunkPayload + 1, 3 * kChunkPayload + 7)},
       {2, rc::gen::inRange<size_t>(0, 4 * kChunkPayload)}});
}

struct Get : rc::state::Command<Model, Sut> {
  std::string key = *KeyFor(Model());
  explicit Get(const Model& model) : key(*KeyFor(model)) {}
  void run(const Model& model, Sut& sut) const override {
    auto got = sut.store->Get(key);
    const auto want = model.Get(key);
    if (want) {
      RC_ASSERT(got.ok());
      RC_ASSERT(*got == *want);
    } else {
      RC_ASSERT(got.status().IsNotFound());
    }
  }
  void show(std::ostream& os) const override { os << "Get(" << key << ")"; }
};

struct Put : rc::state::Command<Model, Sut> {
  std::string key = *rc::gen::elementOf(kKeys);
  size_t size = *ValueSize();
  uint8_t fill = *rc::gen::arbitrary<uint8_t>();
  void apply(Model& model) const override { model.Put(key, MakeValue(size, fill)); }
  void run(const Model&, Sut& sut) const override {
    auto put = sut.store->Put(key, MakeValue(size, fill));
    RC_ASSERT(put.ok());
  }
  void show(std::ostream& os) const override {
    os << "Put(" << key << ", " << size << " bytes, fill " << int{fill} << ")";
  }
};

struct Delete : rc::state::Command<Model, Sut> {
  std::string key;
  explicit Delete(const Model& model) : key(*KeyFor(model)) {}
  void apply(Model& model) const override { model.Delete(key); }
  void run(const Model&, Sut& sut) const override { RC_ASSERT(sut.store->Delete(key).ok()); }
  void show(std::ostream& os) const override { os << "Delete(" << key << ")"; }
};

struct List : rc::state::Command<Model, Sut> {
  void run(const Model& model, Sut& sut) const override {
    auto keys = sut.store->List();
    RC_ASSERT(keys.ok());
    RC_ASSERT(*keys == model.List());
  }
  void show(std::ostream& os) const override { os << "List"; }
};

struct IndexFlush : rc::state::Command<Model, Sut> {
  void run(const Model&, Sut& sut) const override { RC_ASSERT(sut.store->Flush().ok()); }
  void show(std::ostream& os) const override { os << "IndexFlush"; }
};

struct Compact : rc::state::Command<Model, Sut> {
  void run(const Model&, Sut& sut) const override { RC_ASSERT(sut.store->Compact().ok()); }
  void show(std::ostream& os) const override { os << "Compact"; }
};

// Picks, when it runs, one of the extents that hold live data (or any used one).
struct Reclaim : rc::state::Command<Model, Sut> {
  uint32_t selector = *rc::gen::inRange<uint32_t>(0, 1000);
  void run(const Model&, Sut& sut) const override {
    const StoreStat stat = sut.store->Stat();
    std::vector<uint32_t> live, used;
    for (const ExtentStat& e : stat.extents) {
      if (e.extent == 0) continue;
      used.push_back(e.extent);
      if (e.live_bytes > 0) live.push_back(e.extent);
    }
    const auto& pool = live.empty() ? used : live;
    if (pool.empty()) return;
    const Status status = sut.store->Reclaim(pool[selector % pool.size()]);
    RC_ASSERT(status.ok());
  }
  void show(std::ostream& os) const override { os << "Reclaim(#" << selector << ")"; }
};

struct Reboot : rc::state::Command<Model, Sut> {
  void run(const Model&, Sut& sut) const override {
    RC_ASSERT(sut.store->Shutdown().ok());
    sut.Reopen();
  }
  void show(std::ostream& os) const override { os << "Reboot"; }
};

RC_GTEST_PROP(StoreConformance, StoreBehavesLikeItsModel, ()) {
  Model model;
  Sut sut;
  rc::state::check(model, sut,
                   rc::state::gen::execOneOfWithArgs<Get, Put, Delete, List, IndexFlush, Compact,
                                                     Reclaim, Reboot>());
}

}  // namespace
}  // namespace shardstore
