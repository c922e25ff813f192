// FileDisk: a Disk on a regular file or a block device, with pread/pwrite/fdatasync.
//
// A file image holds extent i at byte offset i * extent_bytes. With `direct_io` the file is
// opened O_DIRECT and unaligned buffers are bounced through an aligned one; file systems that
// refuse O_DIRECT (tmpfs) make Open fail with InvalidArgument.
//
// Thread-safety: thread-safe; pread/pwrite are positional and the bounce buffer is per call.
#pragma once

#include <memory>
#include <string>

#include "shardstore/disk.h"

namespace shardstore {

struct FileDiskOptions {
  DiskGeometry geometry;
  // Create the file (or extend it) to geometry.total_bytes(). Never applies to block devices.
  bool create = false;
  bool direct_io = false;
};

class FileDisk : public Disk {
 public:
  static StatusOr<std::unique_ptr<FileDisk>> Open(const std::string& path,
                                                  const FileDiskOptions& options);
  ~FileDisk() override;

  // The size of the file or block device at `path`, in bytes.
  static StatusOr<uint64_t> DeviceBytes(const std::string& path);

  DiskGeometry geometry() const override { return geometry_; }
  Status Write(uint32_t extent, uint32_t offset, ByteView data) override;
  Status Read(uint32_t extent, uint32_t offset, MutableByteView out) override;
  Status Flush() override;

 private:
  FileDisk(int fd, std::string path, DiskGeometry geometry, bool direct_io);

  const int fd_;
  const std::string path_;
  const DiskGeometry geometry_;
  const bool direct_io_;
};

}  // namespace shardstore
