// FileDisk: a Disk on a regular file or a block device, with pread/pwrite/fdatasync.
//
// A file image holds extent i at byte offset i * extent_bytes. Gathered writes go out as one
// pwritev. With `direct_io` the file is opened O_DIRECT and unaligned buffers are bounced
// through a reused page-aligned buffer; file systems that refuse O_DIRECT (tmpfs) make Open fail
// with InvalidArgument.
//
// Thread-safety: thread-safe; pread/pwrite are positional and the bounce buffer has a lock.
#pragma once

#include <sys/uio.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "shardstore/disk.h"
#include "shardstore/sync.h"

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
  Status WriteGather(uint32_t extent, uint32_t offset, std::span<const ByteView> pieces) override;
  Status Read(uint32_t extent, uint32_t offset, MutableByteView out) override;
  Status Flush() override;

 private:
  FileDisk(int fd, std::string path, DiskGeometry geometry, bool direct_io);

  off_t FileOffset(uint32_t extent, uint32_t offset) const {
    return static_cast<off_t>(uint64_t{extent} * geometry_.extent_bytes + offset);
  }
  // Writes every iovec at `at`, resuming after short writes.
  Status WriteAll(std::vector<struct iovec> iov, off_t at);
  // A page-aligned buffer of at least `bytes`, reused across calls. REQUIRES: bounce_mu_ held.
  uint8_t* Bounce(size_t bytes);

  const int fd_;
  const std::string path_;
  const DiskGeometry geometry_;
  const bool direct_io_;
  sync::Mutex bounce_mu_;
  std::unique_ptr<uint8_t, void (*)(void*)> bounce_{nullptr, &std::free};  // guarded by bounce_mu_
  size_t bounce_bytes_ = 0;                                                // guarded by bounce_mu_
};

}  // namespace shardstore
