// Put and get throughput and write amplification of the engine on a FileDisk, next to RocksDB
// (synchronous writes) on the same file system, in the same run, as ratios.
//
// For each value size (4 KiB, 64 KiB, 1 MiB): put `total` bytes of fresh keys, acknowledging
// durably every `batch` bytes (shardstore: Store::Flush; RocksDB: one WriteBatch with
// sync=true), then get every key once in a shuffled order. Write amplification = bytes written
// to the device / bytes put (shardstore: counted below the engine; RocksDB: WAL + flush +
// compaction bytes from its statistics).
//
// usage: store_vs_rocksdb [--dir DIR] [--total-mib N] [--batch-kib N] [--single-durable-puts N]
//                         [--disk file|uring]
#include <fmt/core.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/statistics.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "bench_util.h"
#include "counting_disk.h"
#include "shardstore/file_disk.h"
#include "shardstore/image_disk.h"
#include "shardstore/limits.h"
#include "shardstore/store.h"

namespace {

using shardstore::Bytes;
using shardstore::bench::Clock;
using shardstore::bench::Seconds;

[[noreturn]] void Die(const std::string& message) {
  shardstore::bench::Die("store_vs_rocksdb", message);
}

uint64_t ParseNumber(const char* flag, const char* text) {
  return shardstore::bench::ParseNumber("store_vs_rocksdb", flag, text);
}

struct Workload {
  size_t value_bytes;
  size_t count;
  size_t batch;  // puts per durable acknowledgement
};

struct Result {
  double put_mib_s = 0;
  double get_mib_s = 0;
  double write_amplification = 0;
};

std::string Key(size_t i) { return fmt::format("key-{:010}", i); }

std::vector<size_t> Shuffled(size_t n) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(7));
  return order;
}

Result RunShardstore(const std::string& dir, shardstore::DiskKind kind, const Workload& w,
                     const Bytes& value) {
  const std::string path = dir + "/bench.shardstore.img";
  std::filesystem::remove(path);
  const uint32_t extent_bytes = 64u << 20;
  const uint64_t total = uint64_t{w.value_bytes} * w.count;
  const auto extents = static_cast<uint32_t>(total * 3 / 2 / extent_bytes + 8);
  auto file = shardstore::OpenImageDisk(path, {{extents, extent_bytes}, true, false}, kind);
  if (!file.ok()) Die(file.status().ToString());
  if (!file->fallback.empty()) fmt::print(stderr, "store_vs_rocksdb: note: {}\n", file->fallback);
  shardstore::bench::CountingDisk disk(file->disk.get());
  if (auto s = shardstore::Store::Format(&disk, 1); !s.ok()) Die(s.ToString());
  shardstore::StoreOptions options;
  options.disk = &disk;
  options.chunk_payload_bytes_max = std::max<uint32_t>(1u << 20, w.value_bytes);
  auto store = shardstore::Store::Open(options);
  if (!store.ok()) Die(store.status().ToString());
  const uint64_t written_before = disk.bytes();
  Result result;
  auto start = Clock::now();
  for (size_t i = 0; i < w.count; ++i) {
    if (auto put = (*store)->Put(Key(i), value); !put.ok()) Die(put.status().ToString());
    if ((i + 1) % w.batch == 0 || i + 1 == w.count) {
      if (auto s = (*store)->Flush(); !s.ok()) Die(s.ToString());
    }
  }
  result.put_mib_s = static_cast<double>(total) / (1 << 20) / Seconds(start);
  result.write_amplification =
      static_cast<double>(disk.bytes() - written_before) / static_cast<double>(total);
  start = Clock::now();
  for (size_t i : Shuffled(w.count)) {
    auto got = (*store)->Get(Key(i));
    if (!got.ok() || got->size() != value.size()) Die("get " + Key(i) + " failed");
  }
  result.get_mib_s = static_cast<double>(total) / (1 << 20) / Seconds(start);
  if (auto s = (*store)->Shutdown(); !s.ok()) Die(s.ToString());
  store->reset();
  std::filesystem::remove(path);
  return result;
}

Result RunRocksdb(const std::string& dir, const Workload& w, const Bytes& value) {
  const std::string path = dir + "/bench.rocksdb";
  std::filesystem::remove_all(path);
  rocksdb::Options options;
  options.create_if_missing = true;
  options.statistics = rocksdb::CreateDBStatistics();
  rocksdb::DB* raw = nullptr;
  if (auto s = rocksdb::DB::Open(options, path, &raw); !s.ok()) Die(s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  const uint64_t total = uint64_t{w.value_bytes} * w.count;
  const rocksdb::Slice slice(reinterpret_cast<const char*>(value.data()), value.size());
  Result result;
  auto start = Clock::now();
  rocksdb::WriteBatch batch;
  for (size_t i = 0; i < w.count; ++i) {
    if (auto s = batch.Put(Key(i), slice); !s.ok()) Die(s.ToString());
    if ((i + 1) % w.batch == 0 || i + 1 == w.count) {
      if (auto s = db->Write(sync, &batch); !s.ok()) Die(s.ToString());
      batch.Clear();
    }
  }
  // Count what RocksDB writes for these puts, including its memtable flush, as the engine's
  // count includes its index.
  if (auto s = db->Flush(rocksdb::FlushOptions()); !s.ok()) Die(s.ToString());
  result.put_mib_s = static_cast<double>(total) / (1 << 20) / Seconds(start);
  const auto ticker = [&](rocksdb::Tickers t) { return options.statistics->getTickerCount(t); };
  const uint64_t device_bytes = ticker(rocksdb::WAL_FILE_BYTES) +
                                ticker(rocksdb::FLUSH_WRITE_BYTES) +
                                ticker(rocksdb::COMPACT_WRITE_BYTES);
  result.write_amplification = static_cast<double>(device_bytes) / static_cast<double>(total);
  start = Clock::now();
  std::string got;
  for (size_t i : Shuffled(w.count)) {
    if (auto s = db->Get(rocksdb::ReadOptions(), Key(i), &got);
        !s.ok() || got.size() != value.size()) {
      Die("rocksdb get " + Key(i) + " failed");
    }
  }
  result.get_mib_s = static_cast<double>(total) / (1 << 20) / Seconds(start);
  db.reset();
  std::filesystem::remove_all(path);
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = ".";
  uint64_t total_bytes = 256ull << 20;
  uint64_t batch_bytes = 1ull << 20;
  uint64_t single_puts = 300;
  shardstore::DiskKind kind = shardstore::DiskKind::kFile;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) {
      fmt::print(stderr, "store_vs_rocksdb: {} needs a value\n", arg);
      return 2;
    }
    const char* v = argv[++i];
    if (arg == "--dir")
      dir = v;
    else if (arg == "--total-mib")
      total_bytes = ParseNumber("--total-mib", v) << 20;
    else if (arg == "--batch-kib")
      batch_bytes = ParseNumber("--batch-kib", v) << 10;
    else if (arg == "--single-durable-puts")
      single_puts = ParseNumber("--single-durable-puts", v);
    else if (arg == "--disk") {
      kind = shardstore::bench::ParseDisk("store_vs_rocksdb", v);
    } else {
      fmt::print(stderr, "store_vs_rocksdb: unknown argument {}\n", arg);
      return 2;
    }
  }
  std::vector<std::pair<std::string, Workload>> workloads;
  for (size_t value_bytes : {size_t{4} << 10, size_t{64} << 10, size_t{1} << 20}) {
    const size_t count = std::max<size_t>(1, total_bytes / value_bytes);
    const size_t batch = std::max<size_t>(1, batch_bytes / value_bytes);
    workloads.push_back({fmt::format("{} KiB, {} per durable batch", value_bytes >> 10, batch),
                         Workload{value_bytes, count, batch}});
  }
  workloads.push_back({"64 KiB, each put durable", Workload{64 << 10, single_puts, 1}});

  fmt::print("shardstore ({} disk) vs RocksDB 7.8 (sync writes), dir {}, {} MiB per workload\n",
             shardstore::DiskKindName(kind), dir, total_bytes >> 20);
  fmt::print("{:<32} {:>11} {:>11} {:>7} | {:>11} {:>11} {:>7} | {:>6} {:>6}\n", "workload",
             "put MiB/s", "get MiB/s", "w-amp", "rdb put", "rdb get", "w-amp", "put x", "get x");
  for (const auto& [name, w] : workloads) {
    Bytes value(w.value_bytes);
    for (size_t i = 0; i < value.size(); ++i)
      value[i] = static_cast<uint8_t>((i * 2654435761u) >> 11);
    const Result ours = RunShardstore(dir, kind, w, value);
    const Result rocks = RunRocksdb(dir, w, value);
    fmt::print(
        "{:<32} {:>11.1f} {:>11.1f} {:>7.3f} | {:>11.1f} {:>11.1f} {:>7.3f} | {:>6.2f} {:>6.2f}\n",
        name, ours.put_mib_s, ours.get_mib_s, ours.write_amplification, rocks.put_mib_s,
        rocks.get_mib_s, rocks.write_amplification, ours.put_mib_s / rocks.put_mib_s,
        ours.get_mib_s / rocks.get_mib_s);
  }
  fmt::print(
      "put x / get x: shardstore throughput divided by RocksDB's. Targets: write "
      "amplification <= 1.1 for 1 MiB values; durable 64 KiB puts faster than RocksDB's.\n");
  return 0;
}
