// Opening an image as the disk kind a user picked: FileDisk (pread/pwrite) or UringDisk
// (io_uring), with UringDisk falling back to FileDisk where the kernel refuses io_uring.
//
// A UringDisk is always opened with O_DIRECT (its point is to bypass the page cache); a file
// system that refuses O_DIRECT makes the open fail as FileDisk's does. When io_uring itself is
// refused, the image is opened as a FileDisk with the same options and `fallback` says why, for
// the caller to tell its user.
//
// Thread-safety: the functions are thread-safe; the disk is as thread-safe as its kind.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "shardstore/disk.h"
#include "shardstore/file_disk.h"

namespace shardstore {

enum class DiskKind { kFile, kUring };

// "file" or "uring"; nullopt for anything else.
std::optional<DiskKind> ParseDiskKind(std::string_view name);
std::string_view DiskKindName(DiskKind kind);

struct OpenedDisk {
  std::unique_ptr<Disk> disk;
  DiskKind kind = DiskKind::kFile;  // what was opened: kFile after a fallback
  std::string fallback;             // empty, or why io_uring was not used
};

StatusOr<OpenedDisk> OpenImageDisk(const std::string& path, FileDiskOptions options, DiskKind kind);

}  // namespace shardstore
