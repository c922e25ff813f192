#include "commands.h"

#include <fmt/core.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <random>

#include "shardstore/file_disk.h"
#include "shardstore/mem_disk.h"
#include "shardstore/store.h"
#include "superblock/superblock.h"
#include "util/random.h"

namespace shardstore::tool {
namespace {

int Fail(const Status& status, std::string_view what) {
  fmt::print(stderr, "shardstore: {}: {}\n", what, status.ToString());
  return kExitFailed;
}

// The geometry recorded in an image's label, read without knowing it in advance.
StatusOr<DiskGeometry> ImageGeometry(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot open " + path);
  Bytes page(kPageBytes);
  in.read(reinterpret_cast<char*>(page.data()), static_cast<std::streamsize>(page.size()));
  if (in.gcount() != static_cast<std::streamsize>(page.size())) {
    return Status::InvalidArgument(path + " is too short to be a shardstore image");
  }
  SS_ASSIGN_OR_RETURN(Label label, DecodeLabel(page));
  return label.geometry;
}

struct OpenImage {
  std::unique_ptr<FileDisk> disk;
  std::unique_ptr<Store> store;
};

// Seeds from the OS: the tool is not a checked path, and UUIDs must differ across runs.
uint64_t ToolSeed() {
  std::random_device device;
  return (uint64_t{device()} << 32) | device();
}

StatusOr<OpenImage> Open(const ImageOptions& image) {
  SS_ASSIGN_OR_RETURN(DiskGeometry geometry, ImageGeometry(image.path));
  OpenImage open;
  SS_ASSIGN_OR_RETURN(open.disk, FileDisk::Open(image.path, {geometry, false, image.direct_io}));
  StoreOptions options;
  options.disk = open.disk.get();
  options.seed = ToolSeed();
  SS_ASSIGN_OR_RETURN(open.store, Store::Open(options));
  return open;
}

StatusOr<Bytes> ReadInput(const std::string& file) {
  Bytes bytes;
  if (file == "-") {
    bytes.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return bytes;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::IOError("cannot open " + file);
  bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::IOError("cannot read " + file);
  return bytes;
}

}  // namespace

int Format(const ImageOptions& image, uint32_t extent_count, uint32_t extent_bytes, bool force) {
  if (!force && std::filesystem::exists(image.path) && ImageGeometry(image.path).ok()) {
    fmt::print(stderr,
               "shardstore: {} already holds a shardstore image; pass --force to erase it\n",
               image.path);
    return kExitFailed;
  }
  const DiskGeometry geometry{extent_count, extent_bytes};
  if (Status s = ValidateGeometry(geometry); !s.ok()) return Fail(s, "format");
  auto disk = FileDisk::Open(image.path, {geometry, /*create=*/true, image.direct_io});
  if (!disk.ok()) return Fail(disk.status(), "format");
  if (Status s = Store::Format(disk->get(), ToolSeed()); !s.ok()) return Fail(s, "format");
  fmt::print("formatted {}: {} extents of {} bytes\n", image.path, extent_count, extent_bytes);
  return kExitOk;
}

int Put(const ImageOptions& image, const std::vector<std::string>& pairs) {
  auto open = Open(image);
  if (!open.ok()) return Fail(open.status(), "open " + image.path);
  uint64_t bytes = 0;
  for (size_t i = 0; i + 1 < pairs.size(); i += 2) {
    const std::string& key = pairs[i];
    auto value = ReadInput(pairs[i + 1]);
    if (!value.ok()) return Fail(value.status(), "put " + key);
    auto put = open->store->Put(key, *value);
    if (!put.ok()) return Fail(put.status(), "put " + key);
    bytes += value->size();
  }
  if (Status s = open->store->Shutdown(); !s.ok()) return Fail(s, "put");
  if (pairs.size() == 2) {
    fmt::print("put {}: {} bytes, persistent\n", pairs[0], bytes);
  } else {
    fmt::print("put {} shards: {} bytes, persistent\n", pairs.size() / 2, bytes);
  }
  return kExitOk;
}

int Get(const ImageOptions& image, const std::string& key, const std::string& output) {
  auto open = Open(image);
  if (!open.ok()) return Fail(open.status(), "open " + image.path);
  auto value = open->store->Get(key);
  if (!value.ok()) return Fail(value.status(), "get " + key);
  if (output.empty() || output == "-") {
    std::fwrite(value->data(), 1, value->size(), stdout);
    std::fflush(stdout);
    return kExitOk;
  }
  std::ofstream out(output, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(value->data()),
            static_cast<std::streamsize>(value->size()));
  if (!out) return Fail(Status::IOError("cannot write " + output), "get " + key);
  return kExitOk;
}

int Delete(const ImageOptions& image, const std::string& key) {
  auto open = Open(image);
  if (!open.ok()) return Fail(open.status(), "open " + image.path);
  auto deleted = open->store->Delete(key);
  if (!deleted.ok()) return Fail(deleted.status(), "delete " + key);
  if (Status s = open->store->Shutdown(); !s.ok()) return Fail(s, "delete " + key);
  return kExitOk;
}

int List(const ImageOptions& image) {
  auto open = Open(image);
  if (!open.ok()) return Fail(open.status(), "open " + image.path);
  auto keys = open->store->List();
  if (!keys.ok()) return Fail(keys.status(), "list");
  for (const std::string& key : *keys) fmt::print("{}\n", key);
  return kExitOk;
}

int Stat(const ImageOptions& image) {
  auto open = Open(image);
  if (!open.ok()) return Fail(open.status(), "open " + image.path);
  const StoreStat stat = open->store->Stat();
  fmt::print("image             {}\n", image.path);
  fmt::print("geometry          {} extents x {} bytes\n", stat.geometry.extent_count,
             stat.geometry.extent_bytes);
  fmt::print("superblock        sequence {}\n", stat.superblock_sequence);
  fmt::print("keys              {}\n", stat.keys);
  fmt::print("live bytes        {}\n", stat.live_bytes);
  fmt::print("reclaimable bytes {}\n", stat.reclaimable_bytes);
  fmt::print("free extents      {}\n", stat.free_extents);
  fmt::print("index memtable    {} entries\n", stat.memtable_entries);
  for (const LevelStat& level : stat.levels) {
    fmt::print("index level {}     {} runs, {} entries\n", level.level, level.runs, level.entries);
  }
  fmt::print("{:>7} {:<10} {:>14} {:>14}\n", "extent", "owner", "write_pointer", "live_bytes");
  for (const ExtentStat& e : stat.extents) {
    fmt::print("{:>7} {:<10} {:>14} {:>14}\n", e.extent, e.owner, e.write_pointer, e.live_bytes);
  }
  return kExitOk;
}

int Compact(const ImageOptions& image) {
  auto open = Open(image);
  if (!open.ok()) return Fail(open.status(), "open " + image.path);
  if (Status s = open->store->Compact(); !s.ok()) return Fail(s, "compact");
  if (Status s = open->store->Shutdown(); !s.ok()) return Fail(s, "compact");
  return kExitOk;
}

int Reclaim(const ImageOptions& image, uint32_t extent) {
  auto open = Open(image);
  if (!open.ok()) return Fail(open.status(), "open " + image.path);
  if (Status s = open->store->Reclaim(extent); !s.ok()) {
    return Fail(s, "reclaim extent " + std::to_string(extent));
  }
  if (Status s = open->store->Shutdown(); !s.ok()) return Fail(s, "reclaim");
  return kExitOk;
}

namespace {

Bytes DemoValue(Random& random, size_t bytes) {
  Bytes value(bytes);
  for (uint8_t& b : value) b = static_cast<uint8_t>(random.Next());
  return value;
}

// Puts keys, makes half of them persistent, crashes, and checks exactly what must survive did.
bool DemoMemDisk() {
  fmt::print("== in-memory disk: 64 extents x 256 KiB, crash after a partial flush\n");
  MemDisk disk({64, 256 << 10});
  StoreOptions options;
  options.disk = &disk;
  options.format_if_blank = true;
  options.seed = 42;
  options.chunk_payload_bytes_max = 64 << 10;
  Random random(7);
  std::map<std::string, Bytes> persistent;
  {
    auto store = Store::Open(options);
    if (!store.ok()) return Fail(store.status(), "demo open"), false;
    for (int i = 0; i < 120; ++i) {
      const std::string key = fmt::format("shard-{:03}", i);
      const Bytes value = DemoValue(random, random.Next() % (100 << 10));
      if (auto put = (*store)->Put(key, value); !put.ok()) return Fail(put.status(), key), false;
      if (i < 60) persistent[key] = value;
      if (Status s = i == 59 ? (*store)->Flush() : Status::Ok(); !s.ok()) {
        return Fail(s, "flush"), false;
      }
    }
    fmt::print("put 120 shards; flushed after the first 60; {} IOs, {} flushes so far\n",
               disk.stats().writes, disk.stats().flushes);
    disk.CrashLosingAll();  // power loss: everything not flushed is gone
  }
  auto store = Store::Open(options);
  if (!store.ok()) return Fail(store.status(), "demo reopen"), false;
  size_t intact = 0;
  for (const auto& [key, value] : persistent) {
    auto got = (*store)->Get(key);
    if (got.ok() && *got == value) ++intact;
  }
  const size_t listed = (*store)->List()->size();
  fmt::print("after the crash: {}/{} persistent shards intact, {} shards listed\n", intact,
             persistent.size(), listed);
  return intact == persistent.size() && listed == persistent.size();
}

// Writes a small in-memory disk many times over with puts, overwrites and deletes; reclamation
// keeps it running, and every live key reads back its latest value after a reopen.
bool DemoChurn() {
  const DiskGeometry geometry{32, 256 << 10};
  fmt::print("== in-memory disk: {} extents x 256 KiB, written 10 times over\n",
             geometry.extent_count);
  MemDisk disk(geometry);
  StoreOptions options;
  options.disk = &disk;
  options.format_if_blank = true;
  options.seed = 3;
  options.memtable_entries_max = 128;
  Random random(19);
  std::map<std::string, Bytes> model;
  uint64_t written = 0;
  uint64_t reclaimed = 0;
  {
    auto store = Store::Open(options);
    if (!store.ok()) return Fail(store.status(), "demo open"), false;
    while (written < 10 * geometry.total_bytes()) {
      const std::string key = fmt::format("churn-{:03}", random.Next() % 200);
      if (random.Next() % 5 == 0) {
        if (!(*store)->Delete(key).ok()) return false;
        model.erase(key);
        continue;
      }
      model[key] = DemoValue(random, random.Next() % (24 << 10));
      auto put = (*store)->Put(key, model[key]);
      if (!put.ok()) return Fail(put.status(), "churn put"), false;
      written += model[key].size();
    }
    reclaimed = (*store)->Stat().extents_reclaimed;
    if (Status s = (*store)->Shutdown(); !s.ok()) return Fail(s, "churn shutdown"), false;
  }
  auto store = Store::Open(options);
  if (!store.ok()) return Fail(store.status(), "demo reopen"), false;
  size_t intact = 0;
  for (const auto& [key, value] : model) {
    auto got = (*store)->Get(key);
    if (got.ok() && *got == value) ++intact;
  }
  const StoreStat stat = (*store)->Stat();
  fmt::print(
      "wrote {} MiB onto an {} MiB disk, reclaimed {} extents; reopened: {}/{} live keys "
      "intact, {} free extents\n",
      written >> 20, geometry.total_bytes() >> 20, reclaimed, intact, model.size(),
      stat.free_extents);
  return intact == model.size() && stat.keys == model.size() && reclaimed > 0;
}

bool DemoFileImage(const std::string& path) {
  fmt::print("== file image {}: 64 extents x 1 MiB\n", path);
  const DiskGeometry geometry{64, 1 << 20};
  std::map<std::string, Bytes> written;
  Random random(11);
  {
    auto disk = FileDisk::Open(path, {geometry, /*create=*/true, false});
    if (!disk.ok()) return Fail(disk.status(), "demo"), false;
    if (!Store::Format(disk->get(), 5).ok()) return false;
    StoreOptions options;
    options.disk = disk->get();
    auto store = Store::Open(options);
    if (!store.ok()) return Fail(store.status(), "demo open"), false;
    for (int i = 0; i < 200; ++i) {
      const std::string key = fmt::format("object/{:04}", i);
      written[key] = DemoValue(random, random.Next() % (300 << 10));
      if (auto put = (*store)->Put(key, written[key]); !put.ok()) {
        return Fail(put.status(), key), false;
      }
    }
    for (int i = 0; i < 200; i += 10) {
      const std::string key = fmt::format("object/{:04}", i);
      if (!(*store)->Delete(key).ok()) return false;
      written.erase(key);
    }
    if (!(*store)->Shutdown().ok()) return false;
  }
  auto disk = FileDisk::Open(path, {geometry, false, false});
  if (!disk.ok()) return false;
  StoreOptions options;
  options.disk = disk->get();
  auto store = Store::Open(options);
  if (!store.ok()) return Fail(store.status(), "demo reopen"), false;
  size_t intact = 0;
  for (const auto& [key, value] : written) {
    auto got = (*store)->Get(key);
    if (got.ok() && *got == value) ++intact;
  }
  const StoreStat stat = (*store)->Stat();
  fmt::print(
      "put 200 objects, deleted 20, shut down, reopened: {}/{} intact; {} extents in use, "
      "{} live bytes\n",
      intact, written.size(), stat.extents.size(), stat.live_bytes);
  return intact == written.size() && stat.keys == written.size();
}

}  // namespace

int Demo(const std::string& image_path) {
  std::string path = image_path;
  const bool temporary = path.empty();
  if (temporary) {
    path = (std::filesystem::temp_directory_path() / "shardstore-demo.img").string();
  }
  const bool mem_ok = DemoMemDisk();
  const bool churn_ok = DemoChurn();
  const bool file_ok = DemoFileImage(path);
  if (temporary) std::filesystem::remove(path);
  const bool ok = mem_ok && churn_ok && file_ok;
  fmt::print("demo: {}\n", ok ? "all checks passed" : "FAILED");
  return ok ? kExitOk : kExitFailed;
}

}  // namespace shardstore::tool
