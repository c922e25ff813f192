// The engine's CPU path alone: Put, Get and Delete of small values through the whole Store on an
// in-memory disk, so the device costs nothing and what is left is the engine's own work. Prints
// operations per second. bench/hooks_cost.sh runs it from a checked build and from a production
// build, alternately, and reports their ratio: the cost of the checkers' hooks (seeded-bug
// sites, coverage points).
//
// usage: store_ops_in_memory [--keys N] [--value-bytes N] [--passes N] [--seed S]
#include <cstdio>
#include <cstring>
#include <string>

#include "bench_util.h"
#include "shardstore/sim/mem_disk.h"
#include "shardstore/store.h"

namespace {

using shardstore::bench::Clock;

constexpr const char* kProgram = "store_ops_in_memory";

}  // namespace

int main(int argc, char** argv) {
  uint64_t keys = 2000, value_bytes = 1024, passes = 5, seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    uint64_t* target = flag == "--keys"          ? &keys
                       : flag == "--value-bytes" ? &value_bytes
                       : flag == "--passes"      ? &passes
                       : flag == "--seed"        ? &seed
                                                 : nullptr;
    if (target == nullptr) shardstore::bench::Die(kProgram, "unknown flag " + flag);
    *target = shardstore::bench::ParseNumber(kProgram, argv[i], argv[i + 1]);
  }
  if (argc % 2 == 0) shardstore::bench::Die(kProgram, "every flag takes a value");
  shardstore::MemDisk disk({256, 1 << 20});
  shardstore::StoreOptions options;
  options.disk = &disk;
  options.format_if_blank = true;
  options.seed = seed;
  auto opened = shardstore::Store::Open(options);
  if (!opened.ok()) shardstore::bench::Die(kProgram, opened.status().ToString());
  std::unique_ptr<shardstore::Store> store = std::move(opened).value();
  std::string value(value_bytes, 'v');
  uint64_t ops = 0;
  const auto start = Clock::now();
  for (uint64_t pass = 0; pass < passes; ++pass) {
    for (uint64_t k = 0; k < keys; ++k) {
      value[0] = static_cast<char>('a' + pass % 26);
      const std::string key = "key-" + std::to_string(k);
      if (!store->Put(key, shardstore::AsBytes(value)).ok()) {
        shardstore::bench::Die(kProgram, "put failed");
      }
      if (!store->Get(key).ok()) shardstore::bench::Die(kProgram, "get failed");
      ops += 2;
    }
    if (!store->Flush().ok()) shardstore::bench::Die(kProgram, "flush failed");
    for (uint64_t k = 0; k < keys; k += 2) {
      if (!store->Delete("key-" + std::to_string(k)).ok()) {
        shardstore::bench::Die(kProgram, "delete failed");
      }
      ++ops;
    }
  }
  if (!store->Shutdown().ok()) shardstore::bench::Die(kProgram, "shutdown failed");
  const double seconds = shardstore::bench::Seconds(start);
  std::printf("%.0f ops/s (%llu ops in %.3f s)\n", static_cast<double>(ops) / seconds,
              static_cast<unsigned long long>(ops), seconds);
  return 0;
}
