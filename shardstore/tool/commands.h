// The `shardstore` tool's commands. Each returns the process exit code: 0 success, 1 the
// operation failed (missing key, corrupt or truncated image, IO error), 2 bad usage.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace shardstore::tool {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

struct ImageOptions {
  std::string path;
  bool direct_io = false;
};

int Format(const ImageOptions& image, uint32_t extent_count, uint32_t extent_bytes, bool force);
// pairs: KEY FILE KEY FILE ...
int Put(const ImageOptions& image, const std::vector<std::string>& pairs);
int Get(const ImageOptions& image, const std::string& key, const std::string& output);
int Delete(const ImageOptions& image, const std::string& key);
int List(const ImageOptions& image);
int Stat(const ImageOptions& image);
int Compact(const ImageOptions& image);
int Reclaim(const ImageOptions& image, uint32_t extent);
// Self-demonstration: the engine on an in-memory disk (with a crash) and on a file image.
int Demo(const std::string& image_path);

}  // namespace shardstore::tool
