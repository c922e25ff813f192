// Clients while the store reclaims: what a reclamation costs the Gets and Puts running beside it,
// as ratios against the same clients on the same store with no reclamation, in the same run.
//
// Setup: a store on an image (64 MiB extents) is preloaded with 64 KiB values, then every other
// one is overwritten, so each preloaded extent is half dead. Then two phases, each with the same
// clients: `--readers` threads getting random live keys, and one writer putting fresh 64 KiB
// values, each durable before the next.
//   idle:    the clients alone, for --seconds;
//   reclaim: the clients while one more thread reclaims the preloaded extents one after another
//            (Store::Reclaim: a scan of the whole extent, copies of what is live, an index flush,
//            a reset); the phase lasts until every one is reclaimed.
// Reported per phase: gets/s, p50 and p99 get latency, puts/s, p99 put latency; ratios reclaim /
// idle; and reclamation's pace (MB of extent emptied per second, MB copied).
//
// usage: reclaim_clients [--dir DIR] [--disk file|uring] [--readers N] [--preload-mib N]
//                        [--seconds S]
#include <fmt/core.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "shardstore/image_disk.h"
#include "shardstore/store.h"

namespace {

using shardstore::Bytes;
using shardstore::bench::Clock;
using shardstore::bench::Percentile;
using shardstore::bench::Seconds;

[[noreturn]] void Die(const std::string& message) {
  shardstore::bench::Die("reclaim_clients", message);
}

constexpr uint32_t kExtentBytes = 64u << 20;
constexpr size_t kValueBytes = 64u << 10;

struct Settings {
  std::string dir = ".";
  shardstore::DiskKind disk = shardstore::DiskKind::kFile;
  int readers = 8;
  uint64_t preload_bytes = 512ull << 20;
  double seconds = 3;
};

struct Phase {
  double seconds = 0;
  uint64_t gets = 0;
  uint64_t puts = 0;
  double get_p50_us = 0;
  double get_p99_us = 0;
  double put_p99_us = 0;
  double gets_s() const { return static_cast<double>(gets) / seconds; }
  double puts_s() const { return static_cast<double>(puts) / seconds; }
};

std::string Key(uint64_t i) { return fmt::format("preload-{:08}", i); }

Bytes ValueOf(uint64_t seed) {
  Bytes value(kValueBytes);
  for (size_t i = 0; i < value.size(); ++i) value[i] = static_cast<uint8_t>(seed * 31 + i);
  return value;
}

// Runs the clients until `done` returns true; returns what they did.
template <typename Done>
Phase RunClients(shardstore::Store& store, const Settings& settings, uint64_t keys,
                 uint64_t* next_put, Done done) {
  std::atomic<bool> stop{false};
  std::vector<std::vector<uint32_t>> get_latencies(static_cast<size_t>(settings.readers));
  std::vector<uint32_t> put_latencies;
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int r = 0; r < settings.readers; ++r) {
    threads.emplace_back([&, r] {
      uint64_t x = 0x9e3779b97f4a7c15ull * static_cast<uint64_t>(r + 1);
      auto& latencies = get_latencies[static_cast<size_t>(r)];
      while (!stop.load(std::memory_order_relaxed)) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;  // xorshift: a fixed key sequence per reader
        const auto at = Clock::now();
        auto got = store.Get(Key(x % keys));
        if (!got.ok() || got->size() != kValueBytes) Die("get: " + got.status().ToString());
        latencies.push_back(static_cast<uint32_t>(Seconds(at) * 1e6));
      }
    });
  }
  threads.emplace_back([&] {
    const Bytes value = ValueOf(7);
    while (!stop.load(std::memory_order_relaxed)) {
      const auto at = Clock::now();
      auto put = store.Put(fmt::format("fresh-{:08}", (*next_put)++), value);
      if (!put.ok()) Die("put: " + put.status().ToString());
      if (auto s = put->Wait(); !s.ok()) Die("put, waited: " + s.ToString());
      put_latencies.push_back(static_cast<uint32_t>(Seconds(at) * 1e6));
    }
  });
  done();
  stop = true;
  for (auto& thread : threads) thread.join();
  Phase phase;
  phase.seconds = Seconds(start);
  std::vector<uint32_t> gets;
  for (auto& latencies : get_latencies) gets.insert(gets.end(), latencies.begin(), latencies.end());
  phase.gets = gets.size();
  phase.puts = put_latencies.size();
  phase.get_p50_us = Percentile(gets, 0.50);
  phase.get_p99_us = Percentile(gets, 0.99);
  phase.put_p99_us = Percentile(put_latencies, 0.99);
  return phase;
}

Settings Parse(int argc, char** argv) {
  Settings settings;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) {
      fmt::print(stderr, "reclaim_clients: {} needs a value\n", arg);
      std::exit(2);
    }
    const char* v = argv[++i];
    auto number = [&] { return shardstore::bench::ParseNumber("reclaim_clients", arg.c_str(), v); };
    if (arg == "--dir") {
      settings.dir = v;
    } else if (arg == "--disk") {
      settings.disk = shardstore::bench::ParseDisk("reclaim_clients", v);
    } else if (arg == "--readers") {
      settings.readers = static_cast<int>(number());
    } else if (arg == "--preload-mib") {
      settings.preload_bytes = number() << 20;
    } else if (arg == "--seconds") {
      settings.seconds = static_cast<double>(number());
    } else {
      fmt::print(stderr, "reclaim_clients: unknown argument {}\n", arg);
      std::exit(2);
    }
  }
  return settings;
}

}  // namespace

int main(int argc, char** argv) {
  const Settings settings = Parse(argc, argv);
  const std::string path = settings.dir + "/reclaim_clients.img";
  std::filesystem::remove(path);
  // The preload, its overwrites, the copies, the fresh puts of both phases, and room to spare.
  const auto extents = static_cast<uint32_t>(3 * settings.preload_bytes / kExtentBytes + 24);
  shardstore::FileDiskOptions disk_options{{extents, kExtentBytes}, /*create=*/true, false};
  disk_options.zero_fill = true;
  auto opened = shardstore::OpenImageDisk(path, disk_options, settings.disk);
  if (!opened.ok()) Die(opened.status().ToString());
  if (!opened->fallback.empty())
    fmt::print(stderr, "reclaim_clients: note: {}\n", opened->fallback);
  std::unique_ptr<shardstore::Disk> disk = std::move(opened->disk);
  if (auto s = shardstore::Store::Format(disk.get(), 1); !s.ok()) Die(s.ToString());
  shardstore::StoreOptions options;
  options.disk = disk.get();
  options.chunk_payload_bytes_max = 1u << 20;
  options.reclaim_free_extents_min = 0;  // only the reclaimer thread reclaims
  auto store_or = shardstore::Store::Open(options);
  if (!store_or.ok()) Die(store_or.status().ToString());
  std::unique_ptr<shardstore::Store> store = std::move(store_or).value();

  const uint64_t keys = settings.preload_bytes / kValueBytes;
  for (uint64_t i = 0; i < keys; ++i) {
    if (auto put = store->Put(Key(i), ValueOf(i)); !put.ok()) Die(put.status().ToString());
  }
  if (auto s = store->Flush(); !s.ok()) Die(s.ToString());
  std::vector<uint32_t> preloaded;
  for (const shardstore::ExtentStat& e : store->Stat().extents) {
    if (e.owner == "data" && !e.open) preloaded.push_back(e.extent);
  }
  for (uint64_t i = 0; i < keys; i += 2) {
    if (auto put = store->Put(Key(i), ValueOf(i + 1)); !put.ok()) Die(put.status().ToString());
  }
  if (auto s = store->Flush(); !s.ok()) Die(s.ToString());

  uint64_t next_put = 0;
  const Phase idle = RunClients(*store, settings, keys, &next_put, [&] {
    std::this_thread::sleep_for(std::chrono::duration<double>(settings.seconds));
  });
  double reclaim_seconds = 0;
  const Phase reclaim = RunClients(*store, settings, keys, &next_put, [&] {
    const auto start = Clock::now();
    for (const uint32_t e : preloaded) {
      if (auto s = store->Reclaim(e); !s.ok()) Die(fmt::format("reclaim {}: {}", e, s.ToString()));
    }
    reclaim_seconds = Seconds(start);
  });
  const shardstore::StoreStat stat = store->Stat();
  if (auto s = store->Shutdown(); !s.ok()) Die(s.ToString());
  store.reset();
  disk.reset();
  std::filesystem::remove(path);

  fmt::print(
      "reclaim_clients: {} readers + 1 writer, 64 KiB values, {} MiB preloaded (half dead), "
      "disk {}\n",
      settings.readers, settings.preload_bytes >> 20,
      settings.disk == shardstore::DiskKind::kUring ? "uring" : "file");
  fmt::print("{:<8} {:>8} {:>11} {:>12} {:>12} {:>9} {:>12}\n", "phase", "seconds", "gets/s",
             "get p50 us", "get p99 us", "puts/s", "put p99 us");
  for (const auto& [name, p] : {std::pair{"idle", idle}, std::pair{"reclaim", reclaim}}) {
    fmt::print("{:<8} {:>8.2f} {:>11.0f} {:>12.0f} {:>12.0f} {:>9.0f} {:>12.0f}\n", name, p.seconds,
               p.gets_s(), p.get_p50_us, p.get_p99_us, p.puts_s(), p.put_p99_us);
  }
  fmt::print("ratios reclaim/idle: gets/s {:.2f}, get p99 {:.2f}, puts/s {:.2f}, put p99 {:.2f}\n",
             reclaim.gets_s() / idle.gets_s(), reclaim.get_p99_us / idle.get_p99_us,
             reclaim.puts_s() / idle.puts_s(), reclaim.put_p99_us / idle.put_p99_us);
  fmt::print("reclamation: {} extents in {:.2f} s ({:.0f} MB of extents emptied/s), {} reset\n",
             preloaded.size(), reclaim_seconds,
             static_cast<double>(preloaded.size()) * kExtentBytes / 1e6 / reclaim_seconds,
             stat.extents_reclaimed);
  return 0;
}
