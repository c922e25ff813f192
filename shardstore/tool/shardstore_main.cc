// shardstore: a command-line tool over a shardstore file image (or block device).
#include <fmt/core.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "shardstore/limits.h"

namespace {

using shardstore::tool::kExitUsage;

constexpr const char* kUsage = R"(usage: shardstore <command> [arguments]

commands:
  format IMAGE [--extents N] [--extent-bytes B] [--force] [--zero-fill]
                         create or erase IMAGE (default 64 extents of 1048576 bytes);
                         --zero-fill writes zeros over the pages it adds to a file, so that
                         later flushes write no file-system metadata (as on a device)
  put IMAGE KEY FILE [KEY FILE ...]
                         store each FILE ("-" for stdin) as shard KEY, durably
  get IMAGE KEY [--output FILE]
                         write shard KEY to stdout (or FILE)
  delete IMAGE KEY       delete shard KEY, durably
  list IMAGE [--null]    list every key, one a line, with \ and control bytes escaped
                         (\\ \n \t \xHH); --null prints keys as stored, each ending in NUL
  stat IMAGE             extents, write pointers, live and reclaimable bytes, index levels
  compact IMAGE          merge the index's runs into one
  reclaim IMAGE EXTENT   move the live chunks of EXTENT elsewhere and free it
  check IMAGE            read every chunk, write nothing; report each damaged place
                         (exit 0 clean, 1 damage found)
  salvage IMAGE [--dry-run] [--force] [--quiet]
                         rebuild the index from the data chunks' own headers when it is
                         damaged; print each key's fate (exit 1 if a key is unrecoverable)
  demo [--image PATH]    run the engine on in-memory disks (a crash; reclamation under churn)
                         and on a file image (a temporary one unless PATH, which must not exist)

format refuses a file or device holding anything but zeros (a shardstore image included)
unless --force. get, list, stat, check and salvage --dry-run open IMAGE read-only and
write nothing.

options for commands taking IMAGE:
  --direct               open IMAGE with O_DIRECT
  --disk file|uring      how IMAGE is driven: pread/pwrite (file, the default) or io_uring
                         with O_DIRECT (uring); where the kernel refuses io_uring, uring says
                         so on stderr and uses file
  --wait                 one writer at a time: put, delete, compact, reclaim, salvage and
                         format lock IMAGE exclusively, the readers share a lock; a command that
                         finds IMAGE locked fails at once, or with --wait waits its turn

exit status: 0 success, 1 the operation failed, 2 bad usage
)";

int Usage(const std::string& problem) {
  fmt::print(stderr, "shardstore: {}\n\n{}", problem, kUsage);
  return kExitUsage;
}

bool ParseU32(const std::string& text, uint32_t* out) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return false;
  errno = 0;
  const unsigned long long value = std::strtoull(text.c_str(), nullptr, 10);
  if (errno != 0 || value > 0xffffffffull) return false;
  *out = static_cast<uint32_t>(value);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> positional;
  shardstore::tool::ImageOptions image;
  uint32_t extent_count = 64;
  uint32_t extent_bytes = 1u << 20;
  bool force = false;
  bool zero_fill = false;
  bool null_terminated = false;
  shardstore::tool::SalvageFlags salvage;
  std::string output;
  std::string demo_image;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) return nullptr;
      (void)name;
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      fmt::print("{}", kUsage);
      return 0;
    } else if (arg == "--direct") {
      image.direct_io = true;
    } else if (arg == "--force") {
      force = true;
    } else if (arg == "--zero-fill") {
      zero_fill = true;
    } else if (arg == "--wait") {
      image.wait = true;
    } else if (arg == "--dry-run") {
      salvage.dry_run = true;
    } else if (arg == "--quiet") {
      salvage.quiet = true;
    } else if (arg == "--null" || arg == "-0") {
      null_terminated = true;
    } else if (arg == "--extents" || arg == "--extent-bytes") {
      const char* v = value(arg.c_str());
      uint32_t* target = arg == "--extents" ? &extent_count : &extent_bytes;
      if (v == nullptr || !ParseU32(v, target)) return Usage(arg + " needs a whole number");
    } else if (arg == "--disk") {
      const char* v = value(arg.c_str());
      const auto kind = v == nullptr ? std::nullopt : shardstore::ParseDiskKind(v);
      if (!kind) return Usage("--disk needs file or uring");
      image.disk = *kind;
    } else if (arg == "--output" || arg == "--image") {
      const char* v = value(arg.c_str());
      if (v == nullptr) return Usage(arg + " needs a path");
      (arg == "--output" ? output : demo_image) = v;
    } else if (arg.size() > 1 && arg[0] == '-' && arg != "-") {
      return Usage("unknown option " + arg);
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.empty()) return Usage("no command given");
  const std::string command = positional[0];
  const bool known = command == "format" || command == "put" || command == "get" ||
                     command == "delete" || command == "list" || command == "stat" ||
                     command == "compact" || command == "reclaim" || command == "check" ||
                     command == "salvage" || command == "demo";
  if (!known) return Usage("unknown command " + command);
  auto want = [&](size_t n) { return positional.size() == n + 1; };
  if (command == "demo") {
    if (!want(0)) return Usage("demo takes no positional arguments");
    return shardstore::tool::Demo(demo_image);
  }
  if (positional.size() < 2) return Usage(command + " needs an IMAGE");
  image.path = positional[1];
  if (command == "format" && want(1)) {
    return shardstore::tool::Format(image, extent_count, extent_bytes, force, zero_fill);
  }
  if (command == "put" && positional.size() >= 4 && positional.size() % 2 == 0) {
    return shardstore::tool::Put(image, {positional.begin() + 2, positional.end()});
  }
  if (command == "compact" && want(1)) return shardstore::tool::Compact(image);
  if (command == "reclaim" && want(2)) {
    uint32_t extent = 0;
    if (!ParseU32(positional[2], &extent)) return Usage("EXTENT must be a whole number");
    return shardstore::tool::Reclaim(image, extent);
  }
  if (command == "get" && want(2)) return shardstore::tool::Get(image, positional[2], output);
  if (command == "delete" && want(2)) return shardstore::tool::Delete(image, positional[2]);
  if (command == "list" && want(1)) return shardstore::tool::List(image, null_terminated);
  if (command == "stat" && want(1)) return shardstore::tool::Stat(image);
  if (command == "check" && want(1)) return shardstore::tool::Check(image);
  if (command == "salvage" && want(1)) {
    salvage.force = force;
    return shardstore::tool::Salvage(image, salvage);
  }
  return Usage("wrong number of arguments for " + command);
}
