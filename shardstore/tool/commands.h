// The `shardstore` tool's commands. Each returns the process exit code: 0 success, 1 the
// operation failed (missing key, corrupt or truncated image, IO error), 2 bad usage.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shardstore::tool {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

struct ImageOptions {
  std::string path;
  bool direct_io = false;
  bool wait = false;  // wait for another process's lock on the image instead of failing
};

// A key as `list` prints it: backslash, newline, tab and other control bytes escaped (\\, \n,
// \t, \xHH), so every key is one line and two keys never print alike.
std::string EscapeKey(std::string_view key);

// Readers (get, list, stat) open the image read-only under a shared lock and write nothing;
// the others open it under an exclusive lock.

// Refuses (without --force) anything that is not missing, empty or all zeros, a shardstore
// image included; checks the geometry and the file system's room before writing, and leaves
// nothing behind when it fails.
int Format(const ImageOptions& image, uint32_t extent_count, uint32_t extent_bytes, bool force);
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
// Self-demonstration: the engine on an in-memory disk (with a crash) and on a file image, in a
// fresh temporary directory unless `image_path` is given; an existing `image_path` is refused.
int Demo(const std::string& image_path);

}  // namespace shardstore::tool
