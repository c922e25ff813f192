// Many clients at once: the engine next to RocksDB (synchronous writes) with the same number of
// client threads, in the same run and directory, plus the device's raw O_DIRECT bandwidth as the
// physical limit, as ratios.
//
// Workloads, each with 1, 8 and 32 client threads (--threads):
//   put 4 KiB, put 64 KiB, put 1 MiB — every client puts fresh keys, each put durable before the
//     next (shardstore: Put then Dependency::Wait(); RocksDB: Put with sync=true);
//   get 64 KiB — every client gets random keys of a preloaded set;
//   mixed 64 KiB — 90 % gets of the preloaded set, 10 % durable overwrites of it.
// Each cell runs until --seconds have passed or --cell-mib have been put, on a fresh image (and
// a fresh RocksDB). Reported per engine: operations/s, MB/s of values moved, p50 and p99 latency
// of one operation, write amplification (bytes written to the device / bytes put: shardstore
// counts below the engine; RocksDB WAL + flush + compaction bytes from its statistics, after a
// memtable flush at the end of the cell, outside the timing). Ratios: shardstore / RocksDB for
// ops/s and p99, and 1 MiB puts' MB/s / raw O_DIRECT MB/s.
//
// usage: multi_client [--dir DIR] [--disk file|uring] [--seconds S] [--cell-mib N]
//                     [--threads 1,8,32] [--raw-mib N] [--workloads put4k,put64k,put1m,get,mixed]
//                     [--read-cache-mib N] [--device-profile]
// --read-cache-mib sizes shardstore's read cache (default: shardstore::DefaultReadCacheBytes, an
// eighth of memory on the uring disk). On the uring disk (O_DIRECT) it is the only cache
// shardstore reads through, while RocksDB reads through the kernel's page cache, which holds the
// whole preloaded set. --device-profile prints, under each row, how shardstore used the device:
// write IOs per flush, time inside writes and flushes per flush, and the share of the cell the
// device was writing, flushing or neither (idle: waiting on the engine or the clients).
#include <fcntl.h>
#include <fmt/core.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/statistics.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench_util.h"
#include "counting_disk.h"
#include "shardstore/image_disk.h"
#include "shardstore/limits.h"
#include "shardstore/store.h"

namespace {

using shardstore::Bytes;
using shardstore::bench::Clock;
using shardstore::bench::Percentile;
using shardstore::bench::Seconds;

[[noreturn]] void Die(const std::string& message) {
  shardstore::bench::Die("multi_client", message);
}

struct Workload {
  std::string name;
  size_t value_bytes;
  int put_percent;  // 100: fresh keys, every op a put; otherwise gets and overwrites of a preload
};

struct Settings {
  std::string dir = ".";
  shardstore::DiskKind disk = shardstore::DiskKind::kUring;
  double seconds = 2;
  uint64_t cell_bytes = 1024ull << 20;
  uint64_t preload_bytes = 256ull << 20;
  uint64_t raw_bytes = 1024ull << 20;
  std::vector<int> threads = {1, 8, 32};
  std::optional<uint64_t> read_cache_bytes;
  std::vector<std::string> workloads = {"put4k", "put64k", "put1m", "get", "mixed"};
  bool device_profile = false;
};

// How the engine used the device during a cell, where the engine's disk is counted.
struct DeviceProfile {
  uint64_t writes = 0;  // write IOs
  uint64_t flushes = 0;
  double write_seconds = 0;  // inside writes, summed over callers
  double flush_seconds = 0;  // inside flushes, summed over callers
};

struct Result {
  uint64_t ops = 0;
  uint64_t bytes_moved = 0;  // values put or got
  uint64_t bytes_put = 0;
  double seconds = 0;
  double p50_us = 0;
  double p99_us = 0;
  double write_amplification = 0;
  double flushes_per_put = 0;
  std::optional<DeviceProfile> device;  // during the timed part

  double ops_s() const { return static_cast<double>(ops) / seconds; }
  double mb_s() const { return static_cast<double>(bytes_moved) / 1e6 / seconds; }
};

// What one engine offers the clients.
class Engine {
 public:
  virtual ~Engine() = default;
  // Durable on return when `durable`; otherwise once Sync() returns.
  virtual void Put(const std::string& key, const Bytes& value, bool durable) = 0;
  virtual void Sync() = 0;
  virtual void Get(const std::string& key, size_t expected_bytes) = 0;
  virtual uint64_t DeviceBytes() = 0;       // written so far
  virtual uint64_t Flushes() { return 0; }  // device flushes so far, where counted
  virtual std::optional<DeviceProfile> Device() { return std::nullopt; }  // so far, where counted
  virtual void Settle() {}  // after the timing, before DeviceBytes
};

class ShardstoreEngine : public Engine {
 public:
  ShardstoreEngine(const std::string& path, shardstore::DiskKind kind, uint64_t bytes,
                   std::optional<uint64_t> read_cache_bytes) {
    std::filesystem::remove(path);
    const uint32_t extent_bytes = 64u << 20;
    const auto extents = static_cast<uint32_t>(bytes / extent_bytes + 8);
    // Zero-filled, as a block device is written: a flush then writes no file-system metadata.
    shardstore::FileDiskOptions disk_options{{extents, extent_bytes}, /*create=*/true, false};
    disk_options.zero_fill = true;
    auto opened = shardstore::OpenImageDisk(path, disk_options, kind);
    if (!opened.ok()) Die(opened.status().ToString());
    if (!opened->fallback.empty()) fmt::print(stderr, "multi_client: note: {}\n", opened->fallback);
    disk_ = std::move(opened->disk);
    counting_ = std::make_unique<shardstore::bench::CountingDisk>(disk_.get());
    if (auto s = shardstore::Store::Format(counting_.get(), 1); !s.ok()) Die(s.ToString());
    shardstore::StoreOptions options;
    options.disk = counting_.get();
    options.chunk_payload_bytes_max = 1u << 20;
    options.read_cache_bytes =
        read_cache_bytes.value_or(shardstore::DefaultReadCacheBytes(*counting_));
    static bool reported = false;
    if (!std::exchange(reported, true)) {
      fmt::print(stderr, "multi_client: note: shardstore read cache {} MiB{}\n",
                 *options.read_cache_bytes >> 20, read_cache_bytes ? "" : " (this disk's default)");
    }
    auto store = shardstore::Store::Open(options);
    if (!store.ok()) Die(store.status().ToString());
    store_ = std::move(store).value();
    path_ = path;
  }
  ~ShardstoreEngine() override {
    if (auto s = store_->Shutdown(); !s.ok()) Die(s.ToString());
    store_.reset();
    counting_.reset();
    disk_.reset();
    std::filesystem::remove(path_);
  }
  void Put(const std::string& key, const Bytes& value, bool durable) override {
    auto put = store_->Put(key, value);
    if (!put.ok()) Die("put " + key + ": " + put.status().ToString());
    if (!durable) return;
    if (auto s = put->Wait(); !s.ok()) Die("wait " + key + ": " + s.ToString());
  }
  void Sync() override {
    if (auto s = store_->Flush(); !s.ok()) Die(s.ToString());
  }
  void Get(const std::string& key, size_t expected_bytes) override {
    auto got = store_->Get(key);
    if (!got.ok() || got->size() != expected_bytes) Die("get " + key + " failed");
  }
  uint64_t DeviceBytes() override { return counting_->bytes(); }
  uint64_t Flushes() override { return counting_->flushes(); }
  std::optional<DeviceProfile> Device() override {
    return DeviceProfile{counting_->writes(), counting_->flushes(),
                         static_cast<double>(counting_->write_ns()) / 1e9,
                         static_cast<double>(counting_->flush_ns()) / 1e9};
  }

 private:
  std::string path_;
  std::unique_ptr<shardstore::Disk> disk_;
  std::unique_ptr<shardstore::bench::CountingDisk> counting_;
  std::unique_ptr<shardstore::Store> store_;
};

class RocksdbEngine : public Engine {
 public:
  explicit RocksdbEngine(const std::string& path) : path_(path) {
    std::filesystem::remove_all(path);
    options_.create_if_missing = true;
    options_.statistics = rocksdb::CreateDBStatistics();
    // Reused WAL files: RocksDB's counterpart of shardstore's zero-filled image, so neither
    // engine's syncs write file-system metadata for newly allocated blocks.
    options_.recycle_log_file_num = 4;
    rocksdb::DB* raw = nullptr;
    if (auto s = rocksdb::DB::Open(options_, path, &raw); !s.ok()) Die(s.ToString());
    db_.reset(raw);
    sync_.sync = true;
  }
  ~RocksdbEngine() override {
    db_.reset();
    std::filesystem::remove_all(path_);
  }
  void Put(const std::string& key, const Bytes& value, bool durable) override {
    const rocksdb::Slice slice(reinterpret_cast<const char*>(value.data()), value.size());
    if (auto s = db_->Put(durable ? sync_ : rocksdb::WriteOptions(), key, slice); !s.ok()) {
      Die(s.ToString());
    }
  }
  void Sync() override {
    if (auto s = db_->FlushWAL(/*sync=*/true); !s.ok()) Die(s.ToString());
  }
  void Get(const std::string& key, size_t expected_bytes) override {
    std::string got;
    if (auto s = db_->Get(rocksdb::ReadOptions(), key, &got);
        !s.ok() || got.size() != expected_bytes) {
      Die("rocksdb get " + key + " failed");
    }
  }
  void Settle() override {
    if (auto s = db_->Flush(rocksdb::FlushOptions()); !s.ok()) Die(s.ToString());
  }
  uint64_t DeviceBytes() override {
    const auto ticker = [&](rocksdb::Tickers t) { return options_.statistics->getTickerCount(t); };
    return ticker(rocksdb::WAL_FILE_BYTES) + ticker(rocksdb::FLUSH_WRITE_BYTES) +
           ticker(rocksdb::COMPACT_WRITE_BYTES);
  }

 private:
  std::string path_;
  rocksdb::Options options_;
  rocksdb::WriteOptions sync_;
  std::unique_ptr<rocksdb::DB> db_;
};

Bytes ValueOf(size_t bytes) {
  Bytes value(bytes);
  for (size_t i = 0; i < value.size(); ++i)
    value[i] = static_cast<uint8_t>((i * 2654435761u) >> 11);
  return value;
}

std::string PreloadKey(uint64_t i) { return fmt::format("preload-{:08}", i); }

// Runs `threads` clients of `w` on `engine` until the time or the byte budget runs out.
Result RunCell(Engine& engine, const Workload& w, int threads, const Settings& settings) {
  const Bytes value = ValueOf(w.value_bytes);
  const uint64_t preload_keys = std::max<uint64_t>(1, settings.preload_bytes / w.value_bytes);
  if (w.put_percent < 100) {
    for (uint64_t i = 0; i < preload_keys; ++i) engine.Put(PreloadKey(i), value, false);
    engine.Sync();
  }
  const uint64_t written_before = engine.DeviceBytes();
  const uint64_t flushes_before = engine.Flushes();
  const std::optional<DeviceProfile> device_before = engine.Device();
  std::atomic<int64_t> budget_left{static_cast<int64_t>(settings.cell_bytes)};
  const auto value_bytes = static_cast<int64_t>(w.value_bytes);
  std::atomic<bool> go{false};
  std::vector<std::vector<uint32_t>> latencies(threads);
  std::vector<uint64_t> ops(threads, 0), put_bytes(threads, 0), moved_bytes(threads, 0);
  const auto deadline = std::chrono::duration<double>(settings.seconds);
  Clock::time_point start;
  std::vector<std::thread> clients;
  for (int t = 0; t < threads; ++t) {
    clients.emplace_back([&, t] {
      std::mt19937_64 random(static_cast<uint64_t>(t) + 1);
      while (!go.load()) std::this_thread::yield();
      for (uint64_t i = 0;; ++i) {
        const auto before = Clock::now();
        if (before - start >= deadline) break;
        const bool put = static_cast<int>(random() % 100) < w.put_percent;
        if (put && budget_left.fetch_sub(value_bytes) < value_bytes) break;
        if (put) {
          engine.Put(w.put_percent == 100 ? fmt::format("c{:02}-{:010}", t, i)
                                          : PreloadKey(random() % preload_keys),
                     value, /*durable=*/true);
          put_bytes[t] += w.value_bytes;
        } else {
          engine.Get(PreloadKey(random() % preload_keys), w.value_bytes);
        }
        moved_bytes[t] += w.value_bytes;
        ++ops[t];
        latencies[t].push_back(static_cast<uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - before).count()));
      }
    });
  }
  start = Clock::now();
  go = true;
  for (std::thread& client : clients) client.join();
  Result result;
  result.seconds = Seconds(start);
  if (const std::optional<DeviceProfile> device_after = engine.Device()) {
    result.device = DeviceProfile{device_after->writes - device_before->writes,
                                  device_after->flushes - device_before->flushes,
                                  device_after->write_seconds - device_before->write_seconds,
                                  device_after->flush_seconds - device_before->flush_seconds};
  }
  engine.Settle();
  std::vector<uint32_t> all;
  for (int t = 0; t < threads; ++t) {
    result.ops += ops[t];
    result.bytes_put += put_bytes[t];
    result.bytes_moved += moved_bytes[t];
    all.insert(all.end(), latencies[t].begin(), latencies[t].end());
  }
  const uint64_t puts = result.bytes_put / w.value_bytes;
  if (puts > 0) {
    result.flushes_per_put =
        static_cast<double>(engine.Flushes() - flushes_before) / static_cast<double>(puts);
  }
  result.p50_us = Percentile(all, 0.50);
  result.p99_us = Percentile(all, 0.99);
  if (result.bytes_put > 0) {
    result.write_amplification = static_cast<double>(engine.DeviceBytes() - written_before) /
                                 static_cast<double>(result.bytes_put);
  }
  return result;
}

// Sequential O_DIRECT writes of 4 MiB from an aligned buffer, fdatasync at the end: the most the
// device takes. MB/s.
double RawDirectBandwidth(const std::string& dir, uint64_t bytes) {
  const std::string path = dir + "/bench.raw";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC, 0644);
  if (fd < 0) Die("cannot open " + path + " with O_DIRECT (a file system without it?)");
  constexpr size_t kBlock = 4u << 20;
  void* raw = nullptr;
  if (posix_memalign(&raw, shardstore::kPageBytes, kBlock) != 0) Die("out of memory");
  std::unique_ptr<uint8_t, void (*)(void*)> block(static_cast<uint8_t*>(raw), &std::free);
  std::memset(block.get(), 0x5a, kBlock);
  const auto start = Clock::now();
  for (uint64_t at = 0; at < bytes; at += kBlock) {
    if (::pwrite(fd, block.get(), kBlock, static_cast<off_t>(at)) != static_cast<ssize_t>(kBlock)) {
      Die("raw O_DIRECT write failed");
    }
  }
  if (::fdatasync(fd) != 0) Die("raw fdatasync failed");
  const double seconds = Seconds(start);
  ::close(fd);
  std::filesystem::remove(path);
  return static_cast<double>(bytes) / 1e6 / seconds;
}

std::vector<Workload> Workloads(const Settings& settings) {
  const std::vector<Workload> all = {{"put4k", 4u << 10, 100},
                                     {"put64k", 64u << 10, 100},
                                     {"put1m", 1u << 20, 100},
                                     {"get", 64u << 10, 0},
                                     {"mixed", 64u << 10, 10}};
  std::vector<Workload> chosen;
  for (const std::string& name : settings.workloads) {
    auto it =
        std::find_if(all.begin(), all.end(), [&](const Workload& w) { return w.name == name; });
    if (it == all.end()) {
      fmt::print(stderr, "multi_client: unknown workload {} (put4k put64k put1m get mixed)\n",
                 name);
      std::exit(2);
    }
    chosen.push_back(*it);
  }
  return chosen;
}

std::vector<std::string> SplitCommas(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) parts.push_back(part);
  return parts;
}

Settings Parse(int argc, char** argv) {
  Settings settings;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--device-profile") {
      settings.device_profile = true;
      continue;
    }
    if (i + 1 >= argc) {
      fmt::print(stderr, "multi_client: {} needs a value\n", arg);
      std::exit(2);
    }
    const char* v = argv[++i];
    auto number = [&] { return shardstore::bench::ParseNumber("multi_client", arg.c_str(), v); };
    if (arg == "--dir") {
      settings.dir = v;
    } else if (arg == "--disk") {
      settings.disk = shardstore::bench::ParseDisk("multi_client", v);
    } else if (arg == "--seconds") {
      settings.seconds = static_cast<double>(number());
    } else if (arg == "--cell-mib") {
      settings.cell_bytes = number() << 20;
    } else if (arg == "--read-cache-mib") {
      settings.read_cache_bytes = number() << 20;
    } else if (arg == "--raw-mib") {
      settings.raw_bytes = number() << 20;
    } else if (arg == "--threads") {
      settings.threads.clear();
      for (const std::string& part : SplitCommas(v)) {
        settings.threads.push_back(static_cast<int>(
            shardstore::bench::ParseNumber("multi_client", "--threads", part.c_str())));
      }
    } else if (arg == "--workloads") {
      settings.workloads = SplitCommas(v);
    } else {
      fmt::print(stderr, "multi_client: unknown argument {}\n", arg);
      std::exit(2);
    }
  }
  return settings;
}

}  // namespace

int main(int argc, char** argv) {
  const Settings settings = Parse(argc, argv);
  const std::vector<Workload> workloads = Workloads(settings);
  const double raw_mb_s = RawDirectBandwidth(settings.dir, settings.raw_bytes);
  fmt::print(
      "shardstore ({} disk) vs RocksDB 7.8 (sync=true), dir {}, {} s or {} MiB per cell; raw "
      "O_DIRECT write bandwidth {:.0f} MB/s\n",
      shardstore::DiskKindName(settings.disk), settings.dir, settings.seconds,
      settings.cell_bytes >> 20, raw_mb_s);
  fmt::print(
      "{:<7} {:>3} | {:>9} {:>8} {:>7} {:>7} {:>6} {:>5} | {:>9} {:>8} {:>7} {:>7} {:>6} | "
      "{:>6} {:>6} {:>6}\n",
      "load", "thr", "ss ops/s", "MB/s", "p50 us", "p99 us", "w-amp", "fl/pt", "rdb ops/s", "MB/s",
      "p50 us", "p99 us", "w-amp", "ops x", "p99 x", "raw x");
  for (const Workload& w : workloads) {
    for (int threads : settings.threads) {
      Result ours, rocks;
      {
        ShardstoreEngine engine(settings.dir + "/bench.multi.img", settings.disk,
                                settings.cell_bytes + 2 * settings.preload_bytes,
                                settings.read_cache_bytes);
        ours = RunCell(engine, w, threads, settings);
      }
      {
        RocksdbEngine engine(settings.dir + "/bench.multi.rocksdb");
        rocks = RunCell(engine, w, threads, settings);
      }
      fmt::print(
          "{:<7} {:>3} | {:>9.0f} {:>8.1f} {:>7.0f} {:>7.0f} {:>6.3f} {:>5.2f} | {:>9.0f} {:>8.1f} "
          "{:>7.0f} {:>7.0f} {:>6.3f} | {:>6.2f} {:>6.2f} {:>6}\n",
          w.name, threads, ours.ops_s(), ours.mb_s(), ours.p50_us, ours.p99_us,
          ours.write_amplification, ours.flushes_per_put, rocks.ops_s(), rocks.mb_s(), rocks.p50_us,
          rocks.p99_us, rocks.write_amplification, ours.ops_s() / rocks.ops_s(),
          rocks.p99_us > 0 ? ours.p99_us / rocks.p99_us : 0,
          w.put_percent == 100 && w.value_bytes == (1u << 20)
              ? fmt::format("{:.2f}", ours.mb_s() / raw_mb_s)
              : "-");
      if (settings.device_profile && ours.device) {
        const DeviceProfile& d = *ours.device;
        const double flushes = std::max<double>(1, static_cast<double>(d.flushes));
        fmt::print(
            "  shardstore device: {:.1f} write IOs per flush, {:.0f} us writing + {:.0f} us "
            "flushing per flush; writing {:.0f} %, flushing {:.0f} %, neither {:.0f} % of the "
            "cell\n",
            static_cast<double>(d.writes) / flushes, d.write_seconds / flushes * 1e6,
            d.flush_seconds / flushes * 1e6, 100 * d.write_seconds / ours.seconds,
            100 * d.flush_seconds / ours.seconds,
            std::max(0.0, 100 * (1 - (d.write_seconds + d.flush_seconds) / ours.seconds)));
      }
      std::fflush(stdout);
    }
  }
  fmt::print(
      "ops x: shardstore ops/s / RocksDB's; p99 x: shardstore p99 / RocksDB's (lower is better); "
      "raw x: 1 MiB puts' MB/s / raw O_DIRECT MB/s. w-amp: device bytes / bytes put; fl/pt: "
      "shardstore's device flushes per durable put.\n");
  return 0;
}
