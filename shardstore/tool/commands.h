// The `shardstore` tool's commands. Each returns the process exit code: 0 success, 1 the
// operation failed (missing key, corrupt or truncated image, IO error), 2 bad usage.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shardstore/image_disk.h"

namespace shardstore::tool {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

struct ImageOptions {
  std::string path;
  bool direct_io = false;
  DiskKind disk = DiskKind::kFile;  // kUring: io_uring and O_DIRECT, FileDisk where refused
  bool wait = false;  // wait for another process's lock on the image instead of failing
};

// A key as `list` prints it: backslash, newline, tab and other control bytes escaped (\\, \n,
// \t, \xHH), so every key is one line and two keys never print alike.
std::string EscapeKey(std::string_view key);

// Readers (get, list, stat, check, salvage --dry-run) open the image read-only under a shared lock
// and write nothing; the others open it under an exclusive lock.

// Refuses (without --force) anything that is not missing, empty or all zeros, a shardstore
// image included; checks the geometry and the file system's room before writing, and leaves
// nothing behind when it fails. With zero_fill, writes zeros over the pages it adds to a file
// (FileDiskOptions::zero_fill).
int Format(const ImageOptions& image, uint32_t extent_count, uint32_t extent_bytes, bool force,
           bool zero_fill);
// pairs: KEY FILE KEY FILE ... Every file is read before anything is stored; when a put fails
// midway, the keys stored before it are named.
int Put(const ImageOptions& image, const std::vector<std::string>& pairs);
int Get(const ImageOptions& image, const std::string& key, const std::string& output);
int Delete(const ImageOptions& image, const std::string& key);
// With `null_terminated`, keys are printed as they are, each followed by a NUL byte.
int List(const ImageOptions& image, bool null_terminated);
int Stat(const ImageOptions& image);
int Compact(const ImageOptions& image);
int Reclaim(const ImageOptions& image, uint32_t extent);
// Reads the whole image under a shared lock and writes nothing: prints each damaged place
// (extent, offset, chunk kind, what is wrong, whether the index needs it) and a summary. 0 when
// nothing is damaged, 1 when something is or the image cannot be examined.
int Check(const ImageOptions& image);
struct SalvageFlags {
  bool dry_run = false;  // decide and report; shared lock, nothing written
  bool force = false;    // rebuild even when the index loads
  bool quiet = false;    // print only unrecoverable keys, notes and the summary
};
// Rebuilds the index from the data chunks under the exclusive lock; prints each key's fate
// (recovered, deleted, unrecoverable and why) and a summary. 0 when every key any evidence
// names was recovered or found deleted (or the index loads and nothing was forced), 1 when a
// key is unrecoverable or salvage failed.
int Salvage(const ImageOptions& image, const SalvageFlags& flags);
// Self-demonstration: the engine on an in-memory disk (with a crash) and on a file image, in a
// fresh temporary directory unless `image_path` is given; an existing `image_path` is refused.
int Demo(const std::string& image_path);

}  // namespace shardstore::tool
