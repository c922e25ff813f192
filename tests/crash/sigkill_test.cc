// A real process killed at random moments: a child process runs a put/overwrite/delete workload
// on a FileDisk image and logs every write before it starts it and once a flush made it durable;
// the parent SIGKILLs it, reopens the image, and checks every key against the child's log. A key
// must hold the value of its last write acknowledged durable, or of a write started after it
// (its outcome unknown when the process died) — never anything else, and the store must open.
//
// The kill moments are not deterministic (they race the child); what is checked after each one
// is. Rounds continue from what the previous round left. CI kills the child kRounds times; the
// soak (ctest label `slow`) sets SHARDSTORE_SIGKILL_ROUNDS=1000. The child writes through each
// disk that drives a file image: FileDisk, and UringDisk (O_DIRECT; skipped where the kernel
// refuses io_uring); the parent always checks through a FileDisk.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "shardstore/file_disk.h"
#include "shardstore/image_disk.h"
#include "shardstore/store.h"
#include "shardstore/uring_disk.h"

namespace shardstore {
namespace {

constexpr DiskGeometry kGeometry{48, 256 * 1024};
constexpr int kRounds = 24;
constexpr uint32_t kKeys = 12;
constexpr int kDurableBeforeKill = 5;  // the child gets at least this far in each round

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  return x ^ (x >> 33);
}

// The value of write `seq` of round `round`: its bytes derive from both, so every write differs.
Bytes ValueOf(int round, uint64_t seq, uint32_t size) {
  Bytes value(size);
  uint64_t word = Mix(uint64_t(round) << 32 | seq);
  for (uint32_t i = 0; i < size; ++i) {
    if (i % 8 == 0) word = Mix(word + i);
    value[i] = static_cast<uint8_t>(word >> (i % 8 * 8));
  }
  return value;
}

std::unique_ptr<Store> OpenStore(Disk* disk, bool format) {
  StoreOptions options;
  options.disk = disk;
  options.format_if_blank = format;
  options.chunk_payload_bytes_max = 16 * 1024;
  options.memtable_entries_max = 16;
  auto store = Store::Open(options);
  if (!store.ok()) return nullptr;
  return std::move(store).value();
}

// The child: writes forever. Log lines: "I seq key P size" or "I seq key D" before a write
// starts, "A seq" once a flush made it persistent. Never returns.
[[noreturn]] void RunChild(const std::string& image, const std::string& log, int round,
                           DiskKind kind) {
  auto disk = OpenImageDisk(image, {kGeometry, false, false}, kind);
  if (!disk.ok() || disk->kind != kind) _exit(3);
  std::unique_ptr<Store> store = OpenStore(disk->disk.get(), false);
  if (!store) _exit(4);
  const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  if (fd < 0) _exit(5);
  auto append = [&](const std::string& line) {
    if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(6);
  };
  uint64_t random = Mix(round + 1);
  std::vector<std::pair<uint64_t, Dependency>> batch;
  for (uint64_t seq = 0;; ++seq) {
    random = Mix(random);
    const std::string key = "k" + std::to_string(random % kKeys);
    const bool remove = (random >> 8) % 5 == 0;
    const uint32_t size = static_cast<uint32_t>((random >> 16) % 40000);
    append("I " + std::to_string(seq) + " " + key +
           (remove ? " D\n" : " P " + std::to_string(size) + "\n"));
    StatusOr<Dependency> dependency =
        remove ? store->Delete(key) : store->Put(key, ValueOf(round, seq, size));
    if (!dependency.ok()) _exit(7);
    batch.emplace_back(seq, std::move(dependency).value());
    // Flush after one to four writes, so several may be in flight at a kill.
    if ((random >> 40) % 4 != 0) continue;
    if (!store->Flush().ok()) _exit(8);
    for (const auto& [acked, dep] : batch) {
      if (!dep.IsPersistent()) _exit(9);
      append("A " + std::to_string(acked) + "\n");
    }
    batch.clear();
  }
}

int Rounds() {
  const char* text = std::getenv("SHARDSTORE_SIGKILL_ROUNDS");
  if (text == nullptr) return kRounds;
  const int rounds = std::atoi(text);
  return rounds > 0 ? rounds : kRounds;
}

struct Logged {
  std::string key;
  std::optional<uint32_t> size;  // nullopt: a delete
};

class SigkillTest : public ::testing::TestWithParam<DiskKind> {};

INSTANTIATE_TEST_SUITE_P(Disks, SigkillTest, ::testing::Values(DiskKind::kFile, DiskKind::kUring),
                         [](const auto& info) { return std::string(DiskKindName(info.param)); });

TEST_P(SigkillTest, AcknowledgedWritesSurviveKills) {
  if (GetParam() == DiskKind::kUring) {
    if (Status available = UringDisk::Available(); !available.ok()) {
      GTEST_SKIP() << available.ToString();
    }
  }
  char dir_template[] = "/tmp/shardstore-sigkill-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  const std::string image = dir + "/image";
  const std::string log = dir + "/log";
  {
    auto disk = FileDisk::Open(image, {kGeometry, true, false});
    ASSERT_TRUE(disk.ok()) << disk.status().ToString();
    std::unique_ptr<Store> store = OpenStore(disk->get(), true);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->Shutdown().ok());
  }

  std::map<std::string, Bytes> held;  // what the store held after the previous round
  uint64_t acknowledged = 0, in_flight_at_kill = 0;
  uint64_t random = 20261123;
  const int rounds = Rounds();
  for (int round = 0; round < rounds; ++round) {
    std::remove(log.c_str());
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) RunChild(image, log, round, GetParam());
    // Let it make some writes durable, then kill it after a random further while.
    for (int polls = 0; polls < 2000; ++polls) {
      std::ifstream in(log);
      std::string line;
      int durable = 0;
      while (std::getline(in, line)) durable += line.starts_with("A ");
      if (durable >= kDurableBeforeKill) break;
      int status = 0;
      ASSERT_EQ(waitpid(child, &status, WNOHANG), 0) << "the child exited early: " << status;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    random = Mix(random);
    std::this_thread::sleep_for(std::chrono::microseconds(random % 30000));
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child exited with " << status << " before the kill";

    // Per key: the allowed values, the last acknowledged one first.
    std::map<uint64_t, Logged> started;
    std::map<std::string, std::vector<std::optional<Bytes>>> allowed;
    for (uint32_t k = 0; k < kKeys; ++k) {
      const std::string key = "k" + std::to_string(k);
      auto it = held.find(key);
      allowed[key] = {it == held.end() ? std::nullopt : std::optional<Bytes>(it->second)};
    }
    std::ifstream in(log);
    std::string line;
    std::map<std::string, std::vector<uint64_t>> pending;  // started, not yet acknowledged
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string tag, key, kind;
      uint64_t seq = 0;
      fields >> tag >> seq;
      if (tag == "I") {
        fields >> key >> kind;
        uint32_t size = 0;
        if (kind == "P") fields >> size;
        if (!fields) break;  // the last line may be cut short by the kill
        started[seq] = {key, kind == "P" ? std::optional<uint32_t>(size) : std::nullopt};
        pending[key].push_back(seq);
      } else if (tag == "A" && fields) {
        const Logged& w = started.at(seq);
        ++acknowledged;
        // Acknowledged: it and everything before it to this key are settled.
        auto& p = pending[w.key];
        std::erase_if(p, [&](uint64_t s) { return s <= seq; });
        allowed[w.key] = {w.size ? std::optional<Bytes>(ValueOf(round, seq, *w.size))
                                 : std::nullopt};
      }
    }
    for (const auto& [key, seqs] : pending) {
      in_flight_at_kill += seqs.size();
      for (uint64_t seq : seqs) {
        const Logged& w = started.at(seq);
        allowed[key].push_back(w.size ? std::optional<Bytes>(ValueOf(round, seq, *w.size))
                                      : std::nullopt);
      }
    }

    // A failure stops here and leaves the image as the kill left it, and the log, in `dir`.
    ASSERT_EQ(system(("cp " + image + " " + image + ".killed").c_str()), 0);
    // The kernel tears a dead process's io_uring rings down asynchronously, and with them its
    // last reference to the image and so its lock: wait for it.
    FileDiskOptions check_options{kGeometry, false, false};
    check_options.wait_for_lock = true;
    auto disk = FileDisk::Open(image, check_options);
    ASSERT_TRUE(disk.ok()) << disk.status().ToString();
    std::unique_ptr<Store> store = OpenStore(disk->get(), false);
    ASSERT_TRUE(store) << "the store did not open after kill " << round;
    held.clear();
    for (const auto& [key, values] : allowed) {
      StatusOr<Bytes> got = store->Get(key);
      ASSERT_TRUE(got.ok() || got.status().IsNotFound())
          << "round " << round << ": Get(" << key << "): " << got.status().ToString();
      const std::optional<Bytes> observed =
          got.ok() ? std::optional<Bytes>(std::move(got).value()) : std::nullopt;
      ASSERT_NE(std::find(values.begin(), values.end(), observed), values.end())
          << "round " << round << ": " << key << " holds "
          << (observed ? std::to_string(observed->size()) + " bytes" : "nothing")
          << ", which no acknowledged or in-flight write left (" << values.size() << " allowed)";
      if (observed) held[key] = *observed;
    }
    ASSERT_TRUE(store->Verify().ok());
    ASSERT_TRUE(store->Shutdown().ok());
  }
  std::cout << rounds << " kills; acknowledged writes checked: " << acknowledged
            << ", writes in flight at the kills: " << in_flight_at_kill << "\n";
  EXPECT_GE(acknowledged, uint64_t(rounds) * kDurableBeforeKill);
  std::remove(log.c_str());
  std::remove(image.c_str());
  std::remove((image + ".killed").c_str());
  rmdir(dir.c_str());
}

}  // namespace
}  // namespace shardstore
