// UringDisk: a Disk on a file or block device driven through io_uring.
//
// The image is opened by a FileDisk (same locking, sizing and creation rules, see file_disk.h),
// which UringDisk keeps for as long as it lives; every IO then goes through an io_uring ring
// instead of pread/pwrite/fdatasync. One Write, WriteGather or Read is cut into segments of
// kUringSegmentBytes, all submitted at once (up to kUringQueueDepth in flight), so the device
// works on several requests of one IO in parallel; a Flush is one IORING_OP_FSYNC with
// IORING_FSYNC_DATASYNC. Each call returns once all of its segments completed, so the Disk
// contract is FileDisk's: a write that returned before a Flush began is durable when that Flush
// returns; the dependency graph above orders the flushes.
//
// With `direct_io` (O_DIRECT) buffers must be page-aligned: an aligned caller buffer goes to the
// device as it is; an unaligned one is staged through the ring's own aligned buffer (one copy,
// counted by staged_bytes()). The engine's frames are page-aligned, so a Store's puts stage
// nothing; its reads are staged (measured faster than fresh aligned buffers, see chunk_store.cc).
//
// The kernel may refuse io_uring (an old kernel, a seccomp filter, io_uring_disabled). Available()
// says whether it is usable and why not; callers pick FileDisk instead and say so
// (OpenImageDisk in image_disk.h does both). Setting the environment variable
// SHARDSTORE_DISABLE_IO_URING to anything but "" or "0" makes Available() refuse, so the fallback
// can be exercised on a kernel that allows io_uring.
//
// Locking is FileDisk's, with one difference after a crash: the kernel tears a dead process's
// rings down asynchronously, and only then drops its last reference to the image and so the
// lock. An open right after a writer was killed may find the image still locked for a moment;
// `wait_for_lock` (the tool's --wait) waits for it.
//
// Thread-safety: thread-safe. Each call takes a ring of its own from a pool (a new one while
// fewer than kUringRingsMax exist, else it waits for one), so concurrent readers do not queue
// behind each other's IO.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "shardstore/disk.h"
#include "shardstore/file_disk.h"

namespace shardstore {

class UringDisk : public Disk {
 public:
  // OK when io_uring can be used here (rings can be set up, and the kernel supports the read,
  // write and fsync operations); otherwise an IOError saying why not.
  static Status Available();

  // Opens `path` as FileDisk::Open does, then sets up the first ring. Fails as FileDisk::Open
  // does, or with Available()'s status when io_uring is refused.
  static StatusOr<std::unique_ptr<UringDisk>> Open(const std::string& path,
                                                   const FileDiskOptions& options);
  ~UringDisk() override;

  DiskGeometry geometry() const override { return file_->geometry(); }
  Status Write(uint32_t extent, uint32_t offset, ByteView data) override;
  Status WriteGather(uint32_t extent, uint32_t offset, std::span<const ByteView> pieces) override;
  Status Read(uint32_t extent, uint32_t offset, MutableByteView out) override;
  Status Flush() override;
  bool BypassesPageCache() const override { return file_->BypassesPageCache(); }

  // Bytes copied through a staging buffer because a caller's buffer was not page-aligned under
  // O_DIRECT, reads and writes together, since Open.
  uint64_t staged_bytes() const { return staged_bytes_.load(std::memory_order_relaxed); }

 private:
  struct Ring;
  // The rings not in use, and how many exist (uring_disk.cc).
  struct RingPool;
  // A contiguous piece of one IO: `bytes` at `data`, from file offset `at`.
  struct Segment {
    uint8_t* data;
    uint32_t bytes;
    uint64_t at;
  };

  explicit UringDisk(std::unique_ptr<FileDisk> file);

  // A ring for this caller alone, from the pool or new. Release returns it.
  StatusOr<std::unique_ptr<Ring>> Acquire();
  void Release(std::unique_ptr<Ring> ring);
  // Appends `bytes` at `data` from file offset `at`, cut into kUringSegmentBytes segments.
  static void Cut(uint8_t* data, size_t bytes, uint64_t at, std::vector<Segment>* segments);
  // Submits every segment (reads or writes) on `ring`, resubmitting the rest of a short or
  // interrupted one, and returns once none is in flight.
  Status Run(Ring& ring, bool write, std::vector<Segment> segments);
  uint64_t FileOffset(uint32_t extent, uint32_t offset) const {
    return uint64_t{extent} * file_->geometry().extent_bytes + offset;
  }

  const std::unique_ptr<FileDisk> file_;
  const std::unique_ptr<RingPool> pool_;
  std::atomic<uint64_t> staged_bytes_{0};
};

}  // namespace shardstore
