// FileDisk: a Disk on a regular file or a block device, with pread/pwrite/fdatasync.
//
// A file image holds extent i at byte offset i * extent_bytes. Gathered writes go out as one
// pwritev. With `direct_io` the file is opened O_DIRECT and unaligned buffers are bounced
// through a reused page-aligned buffer; file systems that refuse O_DIRECT (tmpfs) make Open fail
// with InvalidArgument.
//
// Locking: one image, one writer. Open takes an flock(2) lock on the file for as long as the
// FileDisk lives: exclusive for a read-write open, shared for a `read_only` one. So any number of
// readers may share an image, or one writer may hold it alone. The lock belongs to the open file,
// not the process: a second FileDisk on the same image in the same process is refused too, and
// the lock goes away when the process dies (a SIGKILLed writer leaves no stale lock). A lock held
// elsewhere makes Open fail at once with IOError ("... is in use by another process"), or, with
// `wait_for_lock`, wait until it is released. The lock is advisory: it binds shardstore's own
// processes, not `dd`.
//
// A read-only FileDisk is opened O_RDONLY; its Write and Flush fail with IOError.
//
// Thread-safety: thread-safe; pread/pwrite are positional and the bounce buffer has a lock.
#pragma once

#include <sys/uio.h>

#include <memory>
#include <string>
#include <vector>

#include "shardstore/disk.h"

namespace shardstore {

struct FileDiskOptions {
  DiskGeometry geometry;
  // Create the file if it is missing, and extend a shorter file to geometry.total_bytes(),
  // after checking that its file system has room for what the image may grow to (NoSpace
  // otherwise). A file this Open created is removed again if the Open fails. Never applies to
  // block devices.
  bool create = false;
  bool direct_io = false;
  // Open O_RDONLY under a shared lock; writes fail. REQUIRES: not with `create`.
  bool read_only = false;
  // Wait for a lock held by another open instead of failing at once.
  bool wait_for_lock = false;
  // With `create`: write zeros over every page the open adds to a regular file, and make them
  // durable, before Open returns. The file's blocks are then allocated and written, as a block
  // device's are: a later write changes no file-system metadata, so a Flush only flushes the
  // device (on a sparse or fallocated file, the first write to each block makes the next flush
  // also write the block map). Costs one write of the whole new image, once.
  bool zero_fill = false;
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
  bool BypassesPageCache() const override { return direct_io_; }

  // For a disk that drives this open file another way (UringDisk): the descriptor, its flags
  // and its name, valid while this FileDisk lives.
  int fd() const { return fd_; }
  bool direct_io() const { return direct_io_; }
  bool read_only() const { return read_only_; }
  const std::string& path() const { return path_; }

 private:
  FileDisk(int fd, std::string path, DiskGeometry geometry, bool direct_io, bool read_only);

  // Locks the image, then checks (or, with `create`, extends) its size.
  Status Prepare(const FileDiskOptions& options);
  off_t FileOffset(uint32_t extent, uint32_t offset) const {
    return static_cast<off_t>(uint64_t{extent} * geometry_.extent_bytes + offset);
  }
  // Writes every iovec at `at`, resuming after short writes.
  Status WriteAll(std::vector<struct iovec> iov, off_t at);
  // A page-aligned buffer for O_DIRECT IO from unaligned memory, reused across calls, with its
  // lock (file_disk.cc).
  struct BounceBuffer;

  const int fd_;
  const std::string path_;
  const DiskGeometry geometry_;
  const bool direct_io_;
  const bool read_only_;
  const std::unique_ptr<BounceBuffer> bounce_;
};

}  // namespace shardstore
