// Sequential append bandwidth through the engine on a FileDisk, next to the raw bandwidth of the
// same file system measured in the same run, as a ratio.
//
// Engine: Put values of `value_bytes` (one chunk each by default: 1 MiB), Flush every
// `batch_bytes` (group commit: one data flush and one superblock flush per batch).
// Raw: pwrite the same bytes in `value_bytes` blocks to a file in the same directory and
// fdatasync every `batch_bytes`. Runs alternate engine/raw; the median of each is reported.
//
// usage: append_bandwidth [--dir DIR] [--total-mib N] [--value-kib N] [--batch-mib N]
//                         [--rounds N] [--direct] [--disk file|uring]
// --disk uring drives the image through io_uring with O_DIRECT (and so the raw writes too).
#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_util.h"
#include "chunk/chunk_format.h"
#include "chunkstore/chunk_store.h"
#include "shardstore/file_disk.h"
#include "shardstore/image_disk.h"
#include "shardstore/limits.h"
#include "shardstore/store.h"

namespace {

using shardstore::Bytes;
using shardstore::bench::Clock;
using shardstore::bench::Seconds;

[[noreturn]] void Die(const std::string& message) {
  shardstore::bench::Die("append_bandwidth", message);
}

uint64_t ParseNumber(const char* flag, const char* text) {
  return shardstore::bench::ParseNumber("append_bandwidth", flag, text);
}

struct Config {
  std::string dir = ".";
  uint64_t total_bytes = 1024ull << 20;
  uint32_t value_bytes = 1u << 20;
  uint64_t batch_bytes = 16ull << 20;
  int rounds = 3;
  bool direct_io = false;
  shardstore::DiskKind disk = shardstore::DiskKind::kFile;
};

enum class Layer { kChunkStore, kStore };

// Bytes per second of payload through the engine: chunk appends on the storage layer
// (ChunkStore::Append, Flush per batch), or shard puts through the whole store (Store::Put,
// Flush per batch, which also commits the index).
double EngineRun(const Config& config, const std::string& path, const Bytes& value, Layer layer) {
  std::filesystem::remove(path);
  // Extents of 64 MiB hold 63 one-MiB chunks each.
  const uint32_t extent_bytes = 64u << 20;
  const uint64_t frames_per_extent =
      extent_bytes / shardstore::ChunkFrameBytes(16, config.value_bytes);
  const uint64_t values = config.total_bytes / config.value_bytes;
  // Room for the values, the index, and the extents a Put must leave free.
  const uint32_t extents =
      static_cast<uint32_t>(values / frames_per_extent + 4 + shardstore::kPutKeepFreeExtents);
  auto opened = shardstore::OpenImageDisk(path, {{extents, extent_bytes}, true, config.direct_io},
                                          config.disk);
  if (!opened.ok()) Die(opened.status().ToString());
  if (!opened->fallback.empty())
    fmt::print(stderr, "append_bandwidth: note: {}\n", opened->fallback);
  auto disk = &opened->disk;
  if (auto s = shardstore::Store::Format(disk->get(), 1); !s.ok()) Die(s.ToString());
  const uint64_t values_per_batch = std::max<uint64_t>(1, config.batch_bytes / config.value_bytes);
  double seconds = 0;
  if (layer == Layer::kChunkStore) {
    auto chunks = shardstore::ChunkStore::Open({disk->get(), 1, false, 0});
    if (!chunks.ok()) Die(chunks.status().ToString());
    const auto start = Clock::now();
    for (uint64_t i = 0; i < values; ++i) {
      shardstore::ChunkHeader header;
      header.sequence = (*chunks)->NextSequence();
      auto appended = (*chunks)->Append(shardstore::ExtentOwner::kData, header,
                                        fmt::format("object-{:08}", i), value, {});
      if (!appended.ok()) Die(appended.status().ToString());
      if ((i + 1) % values_per_batch == 0 || i + 1 == values) {
        if (auto s = (*chunks)->Flush(); !s.ok()) Die(s.ToString());
      }
    }
    seconds = Seconds(start);
  } else {
    shardstore::StoreOptions options;
    options.disk = disk->get();
    options.chunk_payload_bytes_max = config.value_bytes;
    auto store = shardstore::Store::Open(options);
    if (!store.ok()) Die(store.status().ToString());
    const auto start = Clock::now();
    for (uint64_t i = 0; i < values; ++i) {
      auto put = (*store)->Put(fmt::format("object-{:08}", i), value);
      if (!put.ok()) Die(put.status().ToString());
      if ((i + 1) % values_per_batch == 0) {
        if (auto s = (*store)->Flush(); !s.ok()) Die(s.ToString());
      }
    }
    if (auto s = (*store)->Shutdown(); !s.ok()) Die(s.ToString());
    seconds = Seconds(start);
  }
  std::filesystem::remove(path);
  return static_cast<double>(values * config.value_bytes) / seconds;
}

// Bytes per second of raw sequential pwrite + fdatasync on the same file system.
double RawRun(const Config& config, const std::string& path, const Bytes& value) {
  std::filesystem::remove(path);
  const int fd =
      ::open(path.c_str(),
             O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | (config.direct_io ? O_DIRECT : 0), 0644);
  if (fd < 0) Die("cannot open " + path + ": " + std::strerror(errno));
  void* aligned = nullptr;
  if (posix_memalign(&aligned, shardstore::kPageBytes, value.size()) != 0) Die("out of memory");
  std::memcpy(aligned, value.data(), value.size());
  const uint64_t values = config.total_bytes / config.value_bytes;
  const uint64_t values_per_batch = std::max<uint64_t>(1, config.batch_bytes / config.value_bytes);
  const auto start = Clock::now();
  for (uint64_t i = 0; i < values; ++i) {
    const off_t at = static_cast<off_t>(i * value.size());
    if (::pwrite(fd, aligned, value.size(), at) != static_cast<ssize_t>(value.size())) {
      Die(std::string("pwrite: ") + std::strerror(errno));
    }
    if ((i + 1) % values_per_batch == 0 && ::fdatasync(fd) != 0) Die("fdatasync failed");
  }
  if (::fdatasync(fd) != 0) Die("fdatasync failed");
  const double seconds = Seconds(start);
  ::close(fd);
  std::free(aligned);
  std::filesystem::remove(path);
  return static_cast<double>(values * config.value_bytes) / seconds;
}

double Median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&] {
      if (i + 1 >= argc) {
        fmt::print(stderr, "append_bandwidth: {} needs a value\n", arg);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--dir")
      config.dir = next();
    else if (arg == "--total-mib")
      config.total_bytes = ParseNumber("--total-mib", next()) << 20;
    else if (arg == "--value-kib")
      config.value_bytes = static_cast<uint32_t>(ParseNumber("--value-kib", next()) << 10);
    else if (arg == "--batch-mib")
      config.batch_bytes = ParseNumber("--batch-mib", next()) << 20;
    else if (arg == "--rounds")
      config.rounds = static_cast<int>(ParseNumber("--rounds", next()));
    else if (arg == "--direct")
      config.direct_io = true;
    else if (arg == "--disk") {
      config.disk = shardstore::bench::ParseDisk("append_bandwidth", next());
      if (config.disk == shardstore::DiskKind::kUring) config.direct_io = true;
    } else {
      fmt::print(stderr, "append_bandwidth: unknown argument {}\n", arg);
      return 2;
    }
  }
  Bytes value(config.value_bytes);
  for (size_t i = 0; i < value.size(); ++i) value[i] = static_cast<uint8_t>(i * 2654435761u >> 13);
  const std::string engine_path = config.dir + "/append_bandwidth.engine.img";
  const std::string raw_path = config.dir + "/append_bandwidth.raw.img";
  std::vector<double> chunk_appends, store_puts, raw;
  for (int round = 0; round < config.rounds; ++round) {
    raw.push_back(RawRun(config, raw_path, value));
    chunk_appends.push_back(EngineRun(config, engine_path, value, Layer::kChunkStore));
    store_puts.push_back(EngineRun(config, engine_path, value, Layer::kStore));
    fmt::print("round {}: raw {:.0f} MiB/s, chunk appends {:.0f} MiB/s, store puts {:.0f} MiB/s\n",
               round + 1, raw.back() / (1 << 20), chunk_appends.back() / (1 << 20),
               store_puts.back() / (1 << 20));
  }
  const double raw_median = Median(raw);
  fmt::print("append bandwidth, {} MiB in {} KiB values, flush every {} MiB{}, {} disk, dir {}\n",
             config.total_bytes >> 20, config.value_bytes >> 10, config.batch_bytes >> 20,
             config.direct_io ? ", O_DIRECT" : "", shardstore::DiskKindName(config.disk),
             config.dir);
  fmt::print("  raw pwrite+fdatasync          {:8.0f} MiB/s\n", raw_median / (1 << 20));
  fmt::print("  chunk appends (ChunkStore)    {:8.0f} MiB/s   ratio {:.3f}  (target >= 0.9)\n",
             Median(chunk_appends) / (1 << 20), Median(chunk_appends) / raw_median);
  fmt::print("  shard puts (Store, + index)   {:8.0f} MiB/s   ratio {:.3f}\n",
             Median(store_puts) / (1 << 20), Median(store_puts) / raw_median);
  return 0;
}
