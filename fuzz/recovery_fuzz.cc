// Recovery from an arbitrary disk image. The first input byte picks a mode:
//   even: patch mode — the rest is a list of patches {u32 offset, u8 length, bytes} applied to a
//         real engine image (base_image.h). Any value read back must be one that was put for
//         that key at some time: damage may make a key unreadable, never wrong.
//   odd:  raw mode — the rest is the disk itself, from extent 0 offset 0; the remainder is zero.
// In both modes Open returns a Status and never crashes or hangs; no read touches bytes at or
// past a restored write pointer, but for Open's walk of a data extent's chain (which reads the
// frames past the persisted pointer, and the page where the chain ends); and an opened store
// accepts a new put that survives a reopen.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "base_image.h"
#include "fuzz_common.h"
#include "shardstore/store.h"

namespace {

using namespace shardstore;

bool Expected(const Status& s) {
  return s.IsCorruption() || s.IsInvalidArgument() || s.IsIOError() || s.IsNotFound() ||
         s.IsNoSpace();
}

std::vector<Bytes> PatchedImage(const uint8_t* data, size_t size) {
  std::vector<Bytes> image = fuzz::GetBaseImage().extents;
  const uint64_t total = fuzz::kImageGeometry.total_bytes();
  size_t at = 0;
  for (int patches = 0; patches < 64 && at + 5 <= size; ++patches) {
    uint32_t offset = 0;
    std::memcpy(&offset, data + at, 4);
    const size_t length = std::min<size_t>(data[at + 4] % 64 + 1, size - at - 5);
    at += 5;
    for (size_t i = 0; i < length; ++i) {
      const uint64_t where = (uint64_t{offset} + i) % total;
      image[where / fuzz::kImageGeometry.extent_bytes][where % fuzz::kImageGeometry.extent_bytes] =
          data[at + i];
    }
    at += length;
  }
  return image;
}

std::vector<Bytes> RawImage(const uint8_t* data, size_t size) {
  std::vector<Bytes> image(fuzz::kImageGeometry.extent_count,
                           Bytes(fuzz::kImageGeometry.extent_bytes, 0));
  const uint32_t extent_bytes = fuzz::kImageGeometry.extent_bytes;
  for (uint32_t e = 0; e < image.size() && size_t{e} * extent_bytes < size; ++e) {
    const size_t from = size_t{e} * extent_bytes;
    std::memcpy(image[e].data(), data + from, std::min<size_t>(extent_bytes, size - from));
  }
  return image;
}

StoreOptions Options(Disk* disk) {
  StoreOptions options;
  options.disk = disk;
  options.chunk_payload_bytes_max = fuzz::kImageChunkPayloadBytes;
  options.memtable_entries_max = 4;
  return options;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool patch_mode = data[0] % 2 == 0;
  const std::vector<Bytes> image =
      patch_mode ? PatchedImage(data + 1, size - 1) : RawImage(data + 1, size - 1);
  MemDisk disk(fuzz::kImageGeometry);
  fuzz::LoadImage(image, &disk);
  disk.RecordEvents(true);

  auto store = Store::Open(Options(&disk));
  if (!store.ok()) {
    FUZZ_CHECK(Expected(store.status()));
    return 0;
  }
  const size_t events_at_open = disk.Events().size();
  std::vector<uint32_t> write_pointer(fuzz::kImageGeometry.extent_count, 0);
  std::vector<bool> data_extent(fuzz::kImageGeometry.extent_count, false);
  for (const ExtentStat& e : (*store)->Stat().extents) {
    write_pointer[e.extent] = e.write_pointer;
    data_extent[e.extent] = e.owner == "data";
  }

  auto keys = (*store)->List();
  FUZZ_CHECK(keys.ok());
  for (const std::string& key : *keys) {
    auto value = (*store)->Get(key);
    if (!value.ok()) {
      FUZZ_CHECK(value.status().IsCorruption() || value.status().IsIOError());
      continue;
    }
    if (patch_mode) {
      const auto& history = fuzz::GetBaseImage().history;
      auto it = history.find(key);
      FUZZ_CHECK(it != history.end());            // a key that was never put
      FUZZ_CHECK(it->second.count(*value) == 1);  // bytes that were never put for it
    }
  }
  const std::vector<MemDisk::Event> events = disk.Events();
  for (size_t k = 0; k < events.size(); ++k) {
    const MemDisk::Event& e = events[k];
    if (e.kind != MemDisk::Event::Kind::kRead || e.extent == 0) continue;
    if (k < events_at_open && data_extent[e.extent]) continue;  // the chain walk
    FUZZ_CHECK(uint64_t{e.offset} + e.bytes <= write_pointer[e.extent]);
  }

  // The store keeps working: a new put is durable and survives a reopen.
  const Bytes fresh(5000, 0x42);
  auto put = (*store)->Put("fuzz-new-key", fresh);
  if (!put.ok()) {
    FUZZ_CHECK(Expected(put.status()));
    return 0;
  }
  const Status shutdown = (*store)->Shutdown();
  FUZZ_CHECK(shutdown.ok() || Expected(shutdown));
  store->reset();
  if (!shutdown.ok()) return 0;
  auto reopened = Store::Open(Options(&disk));
  FUZZ_CHECK(reopened.ok());
  auto got = (*reopened)->Get("fuzz-new-key");
  FUZZ_CHECK(got.ok() && *got == fresh);
  return 0;
}
