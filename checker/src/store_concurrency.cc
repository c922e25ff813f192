#include "shardstore/checker/store_concurrency.h"

#include <map>
#include <memory>
#include <stdexcept>
#include <vector>

#include "shardstore/checker/harness.h"
#include "shardstore/checker/history.h"
#include "shardstore/checker/linearizability.h"
#include "shardstore/mem_disk.h"
#include "shardstore/store.h"
#include "shardstore/sync.h"
#include "util/random.h"

namespace shardstore::checker {
namespace {

constexpr DiskGeometry kGeometry{10, 16 * kPageBytes};

enum class ClientOp : uint8_t { kPut, kGet, kDelete };
struct Planned {
  ClientOp op;
  uint32_t key;
  uint32_t size;
};
enum class Maintenance : uint8_t { kFlush, kCompact, kReclaim };

[[noreturn]] void Fail(const std::string& what) { throw std::runtime_error(what); }

}  // namespace

Body StoreConcurrencyBody(uint64_t seed, StoreConcurrencyOptions options) {
  Random random(seed);
  std::vector<std::vector<Planned>> plans(options.clients);
  static constexpr uint32_t kSizes[] = {0, 1, 4000, 4097, 9000};
  for (auto& plan : plans) {
    for (uint32_t i = 0; i < options.ops_per_client; ++i) {
      const uint64_t r = random.Next();
      plan.push_back({static_cast<ClientOp>(r % 3), static_cast<uint32_t>(r >> 8) % options.keys,
                      kSizes[(r >> 16) % std::size(kSizes)]});
    }
  }
  std::vector<Maintenance> maintenance;
  for (uint32_t i = 0; i < options.maintenance_ops; ++i) {
    maintenance.push_back(static_cast<Maintenance>(random.Next() % 3));
  }
  return [plans, maintenance] {
    MemDisk disk(kGeometry);
    StoreOptions store_options;
    store_options.disk = &disk;
    store_options.format_if_blank = true;
    store_options.chunk_payload_bytes_max = 8 * 1024;
    store_options.memtable_entries_max = 4;
    store_options.level0_runs_max = 2;
    store_options.read_cache_bytes = 64 * 1024;
    // Puts reclaim in the background from the start: six of ten extents are free then.
    store_options.reclaim_free_extents_min = 6;
    StatusOr<std::unique_ptr<Store>> opened = Store::Open(store_options);
    if (!opened.ok()) Fail("open: " + opened.status().ToString());
    Store& store = **opened;

    HistoryRecorder recorder;
    // Every value written, so a read's bytes name the write they came from.
    std::map<Bytes, std::string> written;
    uint32_t next_fill = 0;
    auto client = [&](uint32_t process) {
      for (const Planned& p : plans[process]) {
        const std::string key = KeyName(p.key);
        switch (p.op) {
          case ClientOp::kPut: {
            const uint8_t fill = static_cast<uint8_t>(next_fill++);
            const Bytes value = ValueBytes(p.size, fill);
            // Equal bytes (every empty value) are one value: the first name given them.
            const std::string& name =
                written.emplace(value, std::to_string(p.size) + "/" + std::to_string(fill))
                    .first->second;
            const size_t id = recorder.Invoke(process, OpFunction::kWrite, key, name);
            const StatusOr<Dependency> put = store.Put(key, value);
            if (!put.ok() && !put.status().IsNoSpace()) Fail("Put: " + put.status().ToString());
            recorder.Complete(id, put.ok() ? EventType::kOk : EventType::kFail);
            break;
          }
          case ClientOp::kDelete: {
            const size_t id = recorder.Invoke(process, OpFunction::kWrite, key);
            const StatusOr<Dependency> deleted = store.Delete(key);
            if (!deleted.ok()) Fail("Delete: " + deleted.status().ToString());
            recorder.Complete(id, EventType::kOk);
            break;
          }
          case ClientOp::kGet: {
            const size_t id = recorder.Invoke(process, OpFunction::kRead, key);
            const StatusOr<Bytes> got = store.Get(key);
            if (!got.ok() && !got.status().IsNotFound()) {
              Fail("Get(" + key + "): " + got.status().ToString());
            }
            Value seen;
            if (got.ok()) {
              auto it = written.find(*got);
              seen = it == written.end() ? "bytes never written" : it->second;
            }
            recorder.Complete(id, EventType::kOk, seen);
            break;
          }
        }
      }
    };
    std::vector<std::unique_ptr<sync::Thread>> threads;
    for (uint32_t c = 0; c < plans.size(); ++c) {
      threads.push_back(std::make_unique<sync::Thread>([&client, c] { client(c); }));
    }
    sync::Thread background([&] {
      uint32_t turn = 0;
      for (Maintenance m : maintenance) {
        Status s;
        switch (m) {
          case Maintenance::kFlush:
            s = store.Flush();
            break;
          case Maintenance::kCompact:
            s = store.Compact();
            break;
          case Maintenance::kReclaim: {
            const StoreStat stat = store.Stat();
            std::vector<uint32_t> used;
            for (const ExtentStat& e : stat.extents) {
              if (e.extent != 0 && e.write_pointer > 0) used.push_back(e.extent);
            }
            if (!used.empty()) s = store.Reclaim(used[turn++ % used.size()]);
            if (s.IsNoSpace()) s = Status::Ok();
            break;
          }
        }
        if (!s.ok()) Fail("maintenance: " + s.ToString());
      }
    });
    for (auto& t : threads) t->Join();
    background.Join();

    const LinearizabilityReport report =
        CheckLinearizability(recorder.history(), LinearizabilityModel::kKv);
    if (!report.linearizable) {
      Fail("the history is not linearizable; key " + report.key + ", minimal sub-history:\n" +
           FormatHistory(report.minimal));
    }
    if (Status s = store.Verify(); !s.ok()) Fail("Verify: " + s.ToString());
    if (Status s = store.Shutdown(); !s.ok()) Fail("Shutdown: " + s.ToString());
  };
}

}  // namespace shardstore::checker
