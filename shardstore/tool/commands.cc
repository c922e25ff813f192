#include "commands.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <utility>

#include "shardstore/file_disk.h"
#include "shardstore/image_disk.h"
#include "shardstore/random.h"
#include "shardstore/salvage.h"
#include "shardstore/sim/mem_disk.h"
#include "shardstore/store.h"

namespace shardstore::tool {
namespace {

// How a key appears in messages: escaped like `list`, and cut after kShownKeyBytes.
constexpr size_t kShownKeyBytes = 64;

std::string Shown(std::string_view key) {
  if (key.size() <= kShownKeyBytes) return EscapeKey(key);
  return EscapeKey(key.substr(0, kShownKeyBytes)) + "... (" + std::to_string(key.size()) +
         " bytes)";
}

int Fail(const Status& status, std::string_view what) {
  fmt::print(stderr, "shardstore: {}: {}\n", what, status.ToString());
  return kExitFailed;
}

// An open that failed; damage on the medium gets the way out named.
int FailOpen(const Status& status, const std::string& path) {
  Fail(status, "open " + path);
  if (status.IsCorruption()) {
    fmt::print(stderr,
               "shardstore: `shardstore check {0}` lists the damage; `shardstore salvage {0}` "
               "rebuilds the index from the data chunks\n",
               path);
  }
  return kExitFailed;
}

Status ErrnoError(const std::string& what, int error) {
  return Status::IOError(what + ": " + std::strerror(error));
}

// Reads up to out.size() bytes at `offset`; how many it read (short only at the end of file).
StatusOr<size_t> ReadAt(int fd, const std::string& path, uint64_t offset, MutableByteView out) {
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n =
        ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("cannot read " + path, errno);
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

// An open file descriptor, closed on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// The geometry recorded in an image's label, read without knowing it in advance.
StatusOr<DiskGeometry> ImageGeometry(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError("cannot open " + path, errno);
  Bytes page(kPageBytes);
  SS_ASSIGN_OR_RETURN(size_t got, ReadAt(fd.get(), path, 0, page));
  if (got != page.size()) {
    return Status::InvalidArgument(path + " is too short to be a shardstore image");
  }
  return Store::ImageGeometry(page);
}

struct OpenImage {
  std::unique_ptr<Disk> disk;
  std::unique_ptr<Store> store;
};

// Seeds from the OS: the tool is not a checked path, and UUIDs must differ across runs.
uint64_t ToolSeed() {
  std::random_device device;
  return (uint64_t{device()} << 32) | device();
}

// Opens the image as the disk kind asked for; a fallback from io_uring is said on stderr.
StatusOr<std::unique_ptr<Disk>> OpenKind(const ImageOptions& image,
                                         const FileDiskOptions& options) {
  SS_ASSIGN_OR_RETURN(OpenedDisk opened, OpenImageDisk(image.path, options, image.disk));
  if (!opened.fallback.empty()) fmt::print(stderr, "shardstore: note: {}\n", opened.fallback);
  return std::move(opened.disk);
}

// Opens the image's disk under its lock: shared and read-only when `read_only`, else exclusive.
StatusOr<std::unique_ptr<Disk>> OpenDisk(const ImageOptions& image, bool read_only) {
  SS_ASSIGN_OR_RETURN(DiskGeometry geometry, ImageGeometry(image.path));
  FileDiskOptions disk_options{geometry, /*create=*/false, image.direct_io};
  disk_options.read_only = read_only;
  disk_options.wait_for_lock = image.wait;
  return OpenKind(image, disk_options);
}

// Opens the image under its lock: shared and writing nothing when `read_only`, else exclusive.
StatusOr<OpenImage> Open(const ImageOptions& image, bool read_only) {
  OpenImage open;
  SS_ASSIGN_OR_RETURN(open.disk, OpenDisk(image, read_only));
  StoreOptions options;
  options.disk = open.disk.get();
  options.seed = ToolSeed();
  options.read_only = read_only;
  SS_ASSIGN_OR_RETURN(open.store, Store::Open(options));
  return open;
}

// The whole of `file` ("-": stdin). A directory, a device that is not a regular file's worth of
// bytes, or an unreadable file is an error naming it and the reason.
StatusOr<Bytes> ReadInput(const std::string& file) {
  const bool from_stdin = file == "-";
  Fd owned(from_stdin ? -1 : ::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  const int fd = from_stdin ? STDIN_FILENO : owned.get();
  const std::string name = from_stdin ? "standard input" : file;
  if (fd < 0) return ErrnoError("cannot open " + name, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return ErrnoError("cannot stat " + name, errno);
  if (S_ISDIR(st.st_mode)) return Status::InvalidArgument(name + " is a directory");
  Bytes bytes;
  uint8_t buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("cannot read " + name, errno);
    if (n == 0) break;
    if (bytes.size() + static_cast<size_t>(n) > kValueBytesMax) {
      return Status::InvalidArgument(name + " is larger than a value may be (" +
                                     std::to_string(kValueBytesMax) + " bytes)");
    }
    bytes.insert(bytes.end(), buffer, buffer + n);
  }
  return bytes;
}

// What a path holds, as far as `format` is concerned.
struct Probe {
  bool exists = false;
  bool blank = false;  // empty, or only zero bytes where looked
  std::optional<DiskGeometry> image;
  std::string what;  // what it is when neither blank nor an image
};

// True when every byte of [begin, end) is zero; stops at the first one that is not.
StatusOr<bool> AllZero(int fd, const std::string& path, uint64_t begin, uint64_t end) {
  Bytes buffer(1 << 20);
  for (uint64_t at = begin; at < end;) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), end - at));
    SS_ASSIGN_OR_RETURN(size_t got, ReadAt(fd, path, at, MutableByteView(buffer.data(), want)));
    if (std::any_of(buffer.begin(), buffer.begin() + static_cast<ptrdiff_t>(got),
                    [](uint8_t b) { return b != 0; })) {
      return false;
    }
    if (got < want) break;
    at += got;
  }
  return true;
}

// Whether `path` is missing, blank, a shardstore image or something else. A regular file is
// blank when it has no non-zero byte (holes are skipped); a block device when its first
// kDeviceBlankCheckBytes are zero.
constexpr uint64_t kDeviceBlankCheckBytes = 64ull << 20;

StatusOr<Probe> ProbeImage(const std::string& path) {
  Probe probe;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return probe;
    return ErrnoError("cannot stat " + path, errno);
  }
  probe.exists = true;
  if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
    return Status::InvalidArgument(path + " is neither a regular file nor a block device");
  }
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError("cannot open " + path, errno);
  SS_ASSIGN_OR_RETURN(uint64_t size, FileDisk::DeviceBytes(path));
  if (size == 0) {
    probe.blank = true;
    return probe;
  }
  Bytes page(kPageBytes);
  SS_ASSIGN_OR_RETURN(size_t got, ReadAt(fd.get(), path, 0, page));
  page.resize(got);
  StatusOr<DiskGeometry> label =
      got == kPageBytes ? Store::ImageGeometry(page) : Status::NotFound("short");
  if (label.ok()) {
    probe.image = *label;
    return probe;
  }
  if (S_ISBLK(st.st_mode)) {
    SS_ASSIGN_OR_RETURN(probe.blank,
                        AllZero(fd.get(), path, 0, std::min(size, kDeviceBlankCheckBytes)));
  } else {
    // Only the data segments of a sparse file need reading.
    probe.blank = true;
    for (off_t at = 0; probe.blank && static_cast<uint64_t>(at) < size;) {
      const off_t data = ::lseek(fd.get(), at, SEEK_DATA);
      if (data < 0) break;  // ENXIO: nothing but holes from here
      off_t hole = ::lseek(fd.get(), data, SEEK_HOLE);
      if (hole < 0) hole = static_cast<off_t>(size);
      SS_ASSIGN_OR_RETURN(probe.blank, AllZero(fd.get(), path, static_cast<uint64_t>(data),
                                               static_cast<uint64_t>(hole)));
      at = hole;
    }
  }
  if (!probe.blank) {
    probe.what =
        got == kPageBytes && !label.status().IsNotFound()
            ? "data that is not a readable shardstore image (" + label.status().ToString() + ")"
            : "data that is not a shardstore image";
  }
  return probe;
}

}  // namespace

std::string EscapeKey(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (const char c : key) {
    const auto byte = static_cast<uint8_t>(c);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

int Format(const ImageOptions& image, uint32_t extent_count, uint32_t extent_bytes, bool force,
           bool zero_fill) {
  const DiskGeometry geometry{extent_count, extent_bytes};
  if (Status s = Store::CheckGeometry(geometry); !s.ok()) return Fail(s, "format");
  auto probe = ProbeImage(image.path);
  if (!probe.ok()) return Fail(probe.status(), "format");
  if (!force && probe->image) {
    fmt::print(stderr,
               "shardstore: {} already holds a shardstore image ({} extents of {} bytes); pass "
               "--force to erase it\n",
               image.path, probe->image->extent_count, probe->image->extent_bytes);
    return kExitFailed;
  }
  if (!force && probe->exists && !probe->blank) {
    fmt::print(stderr, "shardstore: {} holds {}; pass --force to overwrite it\n", image.path,
               probe->what);
    return kExitFailed;
  }
  // Creates a missing file (removed again if this fails), checks room before growing one, and
  // takes the image's lock: nobody else has it open while it is erased.
  FileDiskOptions options{geometry, /*create=*/true, image.direct_io};
  options.wait_for_lock = image.wait;
  options.zero_fill = zero_fill;
  auto disk = OpenKind(image, options);
  if (!disk.ok()) return Fail(disk.status(), "format");
  // Under the lock, page 0 must still be what was probed: another format may have won the race.
  Bytes page(kPageBytes);
  Status status = (*disk)->Read(0, 0, page);
  if (status.ok() && !force &&
      std::any_of(page.begin(), page.end(), [](uint8_t b) { return b != 0; })) {
    status = Status::InvalidArgument(image.path + " changed while it was being formatted");
  }
  if (status.ok()) status = Store::Format(disk->get(), ToolSeed());
  if (!status.ok()) {
    if (!probe->exists) std::filesystem::remove(image.path);
    return Fail(status, "format");
  }
  fmt::print("formatted {}: {} extents of {} bytes\n", image.path, extent_count, extent_bytes);
  return kExitOk;
}

int Put(const ImageOptions& image, const std::vector<std::string>& pairs) {
  // Every key and value is checked and read before anything is stored, so bad input stores
  // nothing.
  std::vector<std::pair<std::string, Bytes>> shards;
  bool stdin_used = false;
  for (size_t i = 0; i + 1 < pairs.size(); i += 2) {
    const std::string& key = pairs[i];
    if (key.empty() || key.size() > kKeyBytesMax) {
      return Fail(Status::InvalidArgument("a key must have 1 to " + std::to_string(kKeyBytesMax) +
                                          " bytes (got " + std::to_string(key.size()) + ")"),
                  "put " + Shown(key));
    }
    if (pairs[i + 1] == "-" && std::exchange(stdin_used, true)) {
      return Fail(Status::InvalidArgument("standard input (-) can be read only once"),
                  "put " + Shown(key));
    }
    auto value = ReadInput(pairs[i + 1]);
    if (!value.ok()) return Fail(value.status(), "put " + Shown(key) + ": nothing stored");
    shards.emplace_back(key, std::move(value).value());
  }
  auto open = Open(image, /*read_only=*/false);
  if (!open.ok()) return FailOpen(open.status(), image.path);
  uint64_t bytes = 0;
  size_t stored = 0;
  Status failure;
  for (; stored < shards.size(); ++stored) {
    auto put = open->store->Put(shards[stored].first, shards[stored].second);
    if (!put.ok()) {
      failure = put.status();
      break;
    }
    bytes += shards[stored].second.size();
  }
  const Status shutdown = open->store->Shutdown();
  if (failure.ok() && shutdown.ok()) {
    if (shards.size() == 1) {
      fmt::print("put {}: {} bytes, persistent\n", Shown(shards[0].first), bytes);
    } else {
      fmt::print("put {} shards: {} bytes, persistent\n", shards.size(), bytes);
    }
    return kExitOk;
  }
  if (failure.ok()) return Fail(shutdown, "put: no put is known to be persistent");
  Fail(failure, "put " + Shown(shards[stored].first));
  // Name exactly what was stored, so a retry can pick up from there.
  if (stored == 0) {
    fmt::print(stderr, "shardstore: put: nothing stored\n");
    return kExitFailed;
  }
  fmt::print(stderr, "shardstore: put: stored {} of {} keys{}:\n", stored, shards.size(),
             shutdown.ok() ? " (persistent)"
                           : " (not known to be persistent: " + shutdown.ToString() + ")");
  for (size_t i = 0; i < stored; ++i) fmt::print(stderr, "  {}\n", Shown(shards[i].first));
  fmt::print(stderr, "shardstore: put: not stored: {} keys from {} on\n", shards.size() - stored,
             Shown(shards[stored].first));
  return kExitFailed;
}

int Get(const ImageOptions& image, const std::string& key, const std::string& output) {
  auto open = Open(image, /*read_only=*/true);
  if (!open.ok()) return FailOpen(open.status(), image.path);
  auto value = open->store->Get(key);
  if (!value.ok()) return Fail(value.status(), "get " + Shown(key));
  if (output.empty() || output == "-") {
    std::fwrite(value->data(), 1, value->size(), stdout);
    if (std::fflush(stdout) != 0) return Fail(ErrnoError("cannot write stdout", errno), "get");
    return kExitOk;
  }
  Fd out(::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (out.get() < 0) return Fail(ErrnoError("cannot open " + output, errno), "get " + Shown(key));
  for (size_t done = 0; done < value->size();) {
    const ssize_t n = ::write(out.get(), value->data() + done, value->size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(ErrnoError("cannot write " + output, errno), "get " + Shown(key));
    done += static_cast<size_t>(n);
  }
  return kExitOk;
}

int Delete(const ImageOptions& image, const std::string& key) {
  auto open = Open(image, /*read_only=*/false);
  if (!open.ok()) return FailOpen(open.status(), image.path);
  auto deleted = open->store->Delete(key);
  if (!deleted.ok()) return Fail(deleted.status(), "delete " + Shown(key));
  if (Status s = open->store->Shutdown(); !s.ok()) return Fail(s, "delete " + Shown(key));
  return kExitOk;
}

int List(const ImageOptions& image, bool null_terminated) {
  auto open = Open(image, /*read_only=*/true);
  if (!open.ok()) return FailOpen(open.status(), image.path);
  auto keys = open->store->List();
  if (!keys.ok()) return Fail(keys.status(), "list");
  for (const std::string& key : *keys) {
    if (null_terminated) {
      std::fwrite(key.data(), 1, key.size(), stdout);
      std::fputc('\0', stdout);
    } else {
      fmt::print("{}\n", EscapeKey(key));
    }
  }
  if (std::fflush(stdout) != 0) return Fail(ErrnoError("cannot write stdout", errno), "list");
  return kExitOk;
}

int Stat(const ImageOptions& image) {
  auto open = Open(image, /*read_only=*/true);
  if (!open.ok()) return FailOpen(open.status(), image.path);
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
  auto open = Open(image, /*read_only=*/false);
  if (!open.ok()) return FailOpen(open.status(), image.path);
  if (Status s = open->store->Compact(); !s.ok()) return Fail(s, "compact");
  if (Status s = open->store->Shutdown(); !s.ok()) return Fail(s, "compact");
  return kExitOk;
}

int Reclaim(const ImageOptions& image, uint32_t extent) {
  auto open = Open(image, /*read_only=*/false);
  if (!open.ok()) return FailOpen(open.status(), image.path);
  if (Status s = open->store->Reclaim(extent); !s.ok()) {
    return Fail(s, "reclaim extent " + std::to_string(extent));
  }
  if (Status s = open->store->Shutdown(); !s.ok()) return Fail(s, "reclaim");
  return kExitOk;
}

namespace {

std::string NeedText(ImageDamage::Need need) {
  switch (need) {
    case ImageDamage::Need::kLive:
      return " [needed]";
    case ImageDamage::Need::kDead:
      return " [not needed: garbage the index no longer names]";
    case ImageDamage::Need::kUnknown:
      break;
  }
  return "";
}

void PrintDamage(const ImageDamage& damage) {
  std::string where = damage.bytes == 0
                          ? ""
                          : fmt::format("extent {} offset {} ({} bytes): ", damage.extent,
                                        damage.offset, damage.bytes);
  std::string key = damage.key.empty() ? "" : " of key " + Shown(damage.key);
  fmt::print("{}{}{}: {}{}\n", where, damage.kind, key, damage.what, NeedText(damage.need));
}

}  // namespace

int Check(const ImageOptions& image) {
  auto disk = OpenDisk(image, /*read_only=*/true);
  if (!disk.ok()) return Fail(disk.status(), "check " + image.path);
  auto report = CheckImage(disk->get());
  if (!report.ok()) return Fail(report.status(), "check " + image.path);
  size_t needed = 0;
  for (const ImageDamage& damage : report->damage) {
    PrintDamage(damage);
    if (damage.need == ImageDamage::Need::kLive) ++needed;
  }
  const std::string verdict =
      report->clean()
          ? "clean"
          : fmt::format("{} damaged place{} ({} needed by the store)", report->damage.size(),
                        report->damage.size() == 1 ? "" : "s", needed);
  const std::string index =
      report->index_loaded ? fmt::format("loads, {} keys", report->keys) : "does not load";
  fmt::print(
      "check {}: {}; superblock slots valid: {} of 2 (sequence {}); {} extents scanned ({} "
      "bytes), {} chunks intact; index {}\n",
      image.path, verdict, report->superblock_slots_valid, report->superblock_sequence,
      report->extents_scanned, report->bytes_scanned, report->chunks_intact, index);
  if (!report->index_loaded && report->superblock_slots_valid > 0) {
    fmt::print("run `shardstore salvage {}` to rebuild the index from the data chunks\n",
               image.path);
  }
  return report->clean() ? kExitOk : kExitFailed;
}

int Salvage(const ImageOptions& image, const SalvageFlags& flags) {
  auto disk = OpenDisk(image, /*read_only=*/flags.dry_run);
  if (!disk.ok()) return Fail(disk.status(), "salvage " + image.path);
  SalvageOptions options;
  options.disk = disk->get();
  options.dry_run = flags.dry_run;
  options.force = flags.force;
  options.seed = ToolSeed();
  auto report = SalvageImage(options);
  if (!report.ok()) return Fail(report.status(), "salvage " + image.path);
  if (report->index_loaded && !flags.force) {
    fmt::print("salvage {}: the index loads; nothing to salvage (--force rebuilds it anyway)\n",
               image.path);
    return kExitOk;
  }
  for (const SalvagedKey& key : report->keys) {
    switch (key.fate) {
      case SalvagedKey::Fate::kRecovered:
        if (flags.quiet) break;
        fmt::print("recovered {}: sequence {}, {} bytes in {} part{}{}\n", EscapeKey(key.key),
                   key.sequence, key.value_bytes, key.parts, key.parts == 1 ? "" : "s",
                   key.confirmed ? "" : " (unconfirmed: known from its data chunks alone)");
        break;
      case SalvagedKey::Fate::kDeleted:
        if (!flags.quiet) fmt::print("deleted {}: {}\n", EscapeKey(key.key), key.reason);
        break;
      case SalvagedKey::Fate::kUnrecoverable:
        fmt::print("unrecoverable {}: {}\n", EscapeKey(key.key), key.reason);
        break;
    }
  }
  for (const std::string& note : report->notes) fmt::print("note: {}\n", note);
  fmt::print(
      "salvage {}: {}: {} keys recovered ({} unconfirmed), {} deleted, {} unrecoverable; {} "
      "extents scanned, {} data chunks intact, {} damaged; {} index runs usable, {} not\n",
      image.path,
      report->rebuilt ? "index rebuilt" : "dry run, nothing written (would rebuild the index)",
      report->recovered, report->recovered_unconfirmed, report->deleted, report->unrecoverable,
      report->extents_scanned, report->data_chunks_intact, report->data_chunks_damaged,
      report->index_runs_usable, report->index_runs_unusable);
  return report->unrecoverable == 0 ? kExitOk : kExitFailed;
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
  std::string temporary_dir;
  if (path.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "shardstore-demo-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) {
      return Fail(ErrnoError("cannot make a temporary directory", errno), "demo");
    }
    temporary_dir = pattern;
    path = temporary_dir + "/demo.img";
  } else if (struct stat st{}; ::lstat(path.c_str(), &st) == 0 || errno != ENOENT) {
    // The demo formats its image: it never does that to something that exists.
    fmt::print(stderr, "shardstore: demo: {} exists; give --image a path that does not\n", path);
    return kExitFailed;
  }
  const bool mem_ok = DemoMemDisk();
  const bool churn_ok = DemoChurn();
  const bool file_ok = DemoFileImage(path);
  if (!temporary_dir.empty()) std::filesystem::remove_all(temporary_dir);
  const bool ok = mem_ok && churn_ok && file_ok;
  fmt::print("demo: {}\n", ok ? "all checks passed" : "FAILED");
  return ok ? kExitOk : kExitFailed;
}

}  // namespace shardstore::tool
