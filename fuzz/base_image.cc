#include "base_image.h"

#include <cstdlib>
#include <cstring>

#include "shardstore/store.h"

namespace shardstore::fuzz {
namespace {

void Require(const Status& status) {
  if (!status.ok()) std::abort();
}

Bytes Value(uint32_t seed, size_t bytes) {
  Bytes value(bytes);
  for (size_t i = 0; i < bytes; ++i) value[i] = static_cast<uint8_t>(seed * 131 + i * 7);
  return value;
}

BaseImage Build() {
  BaseImage image;
  MemDisk disk(kImageGeometry);
  StoreOptions options;
  options.disk = &disk;
  options.format_if_blank = true;
  options.chunk_payload_bytes_max = kImageChunkPayloadBytes;
  options.memtable_entries_max = 4;  // several runs, so the image holds index chunks
  options.reclaim_free_extents_min = 0;
  auto put = [&](Store& store, const std::string& key, Bytes value) {
    auto status = store.Put(key, value);
    Require(status.status());
    image.history[key].insert(std::move(value));
  };
  {
    auto store = Store::Open(options);
    Require(store.status());
    for (uint32_t i = 0; i < 8; ++i) put(**store, "key" + std::to_string(i), Value(i, i * 3000));
    put(**store, "key2", Value(99, 20000));  // overwrite with a multi-chunk value
    Require((*store)->Delete("key5").status());
    Require((*store)->Shutdown());
  }
  {
    auto store = Store::Open(options);
    Require(store.status());
    put(**store, "key1", Value(77, 100));
    put(**store, "late", Value(55, 9000));
    Require((*store)->Flush());
    put(**store, "lost", Value(44, 50));  // never flushed
  }
  // Power loss that keeps every other pending page.
  std::vector<MemDisk::SectorsKept> plan(disk.PendingPages().size());
  for (size_t i = 0; i < plan.size(); ++i)
    plan[i] = i % 2 ? MemDisk::kPageWhole : MemDisk::kPageLost;
  disk.Crash(plan);
  for (uint32_t e = 0; e < kImageGeometry.extent_count; ++e) {
    Bytes extent(kImageGeometry.extent_bytes);
    Require(disk.Read(e, 0, extent));
    image.extents.push_back(std::move(extent));
  }
  return image;
}

}  // namespace

const BaseImage& GetBaseImage() {
  static const BaseImage image = Build();
  return image;
}

void LoadImage(const std::vector<Bytes>& image, MemDisk* disk) {
  for (uint32_t e = 0; e < image.size(); ++e) {
    for (uint32_t offset = 0; offset < image[e].size(); offset += kPageBytes) {
      static const Bytes kZeroPage(kPageBytes, 0);
      const ByteView page(image[e].data() + offset, kPageBytes);
      if (std::memcmp(page.data(), kZeroPage.data(), kPageBytes) != 0) {
        Require(disk->Write(e, offset, page));
      }
    }
  }
  Require(disk->Flush());
}

}  // namespace shardstore::fuzz
