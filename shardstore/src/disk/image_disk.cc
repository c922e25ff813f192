#include "shardstore/image_disk.h"

#include "shardstore/uring_disk.h"

namespace shardstore {

std::optional<DiskKind> ParseDiskKind(std::string_view name) {
  if (name == "file") return DiskKind::kFile;
  if (name == "uring") return DiskKind::kUring;
  return std::nullopt;
}

std::string_view DiskKindName(DiskKind kind) { return kind == DiskKind::kUring ? "uring" : "file"; }

StatusOr<OpenedDisk> OpenImageDisk(const std::string& path, FileDiskOptions options,
                                   DiskKind kind) {
  OpenedDisk opened;
  if (kind == DiskKind::kUring) {
    options.direct_io = true;
    if (Status available = UringDisk::Available(); !available.ok()) {
      opened.fallback = available.message() + "; using FileDisk (pread/pwrite) instead";
    } else {
      SS_ASSIGN_OR_RETURN(opened.disk, UringDisk::Open(path, options));
      opened.kind = DiskKind::kUring;
      return opened;
    }
  }
  SS_ASSIGN_OR_RETURN(opened.disk, FileDisk::Open(path, options));
  return opened;
}

}  // namespace shardstore
