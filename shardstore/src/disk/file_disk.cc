#include "shardstore/file_disk.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "shardstore/limits.h"
#include "shardstore/sync.h"

namespace shardstore {
namespace {

Status ErrnoStatus(const std::string& what, const std::string& path, int error) {
  return Status::IOError(what + " " + path + ": " + std::strerror(error));
}

}  // namespace

StatusOr<uint64_t> FileDisk::DeviceBytes(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("cannot stat", path, errno);
  if (S_ISREG(st.st_mode)) return static_cast<uint64_t>(st.st_size);
  if (!S_ISBLK(st.st_mode)) {
    return Status::InvalidArgument(path + " is neither a regular file nor a block device");
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open", path, errno);
  uint64_t bytes = 0;
  const int rc = ::ioctl(fd, BLKGETSIZE64, &bytes);
  const int error = errno;
  ::close(fd);
  if (rc != 0) return ErrnoStatus("cannot size block device", path, error);
  return bytes;
}

namespace {

// Takes the image's lock: exclusive for a writer, shared for a reader.
Status LockImage(int fd, const std::string& path, bool shared, bool wait) {
  const int operation = (shared ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB);
  while (::flock(fd, operation) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) {
      return Status::IOError(path + " is in use by another process (" +
                             (shared ? "a writer" : "a reader or a writer") +
                             " holds its lock); wait for it to finish, or pass --wait");
    }
    return ErrnoStatus("cannot lock", path, errno);
  }
  return Status::Ok();
}

// Extends a regular file to `wanted` bytes once its file system has room for every byte the
// image may come to hold (a sparse file takes room as it is written).
Status Extend(int fd, const std::string& path, const struct stat& st, uint64_t wanted) {
  struct statvfs fs {};
  if (::fstatvfs(fd, &fs) != 0) return ErrnoStatus("cannot stat the file system of", path, errno);
  const uint64_t available = uint64_t{fs.f_bavail} * fs.f_frsize;
  const uint64_t allocated = static_cast<uint64_t>(st.st_blocks) * 512;
  const uint64_t needed = wanted - std::min(wanted, allocated);
  if (needed > available) {
    return Status::NoSpace("an image of " + std::to_string(wanted) + " bytes at " + path +
                           " needs " + std::to_string(needed) + " more bytes but its file system " +
                           "has " + std::to_string(available) + " free");
  }
  if (::ftruncate(fd, static_cast<off_t>(wanted)) != 0) {
    return ErrnoStatus("cannot size", path, errno);
  }
  return Status::Ok();
}

// Writes zeros over [from, to) of a regular file, in page-aligned pieces (O_DIRECT takes them),
// and makes them durable.
Status ZeroFill(int fd, const std::string& path, uint64_t from, uint64_t to) {
  constexpr size_t kPieceBytes = 4u << 20;
  void* p = nullptr;
  if (posix_memalign(&p, kPageBytes, kPieceBytes) != 0) {
    return Status::IOError("out of memory zero-filling " + path);
  }
  std::unique_ptr<uint8_t, void (*)(void*)> zeros(static_cast<uint8_t*>(p), &std::free);
  std::memset(zeros.get(), 0, kPieceBytes);
  for (uint64_t at = from; at < to;) {
    const size_t bytes = static_cast<size_t>(std::min<uint64_t>(kPieceBytes, to - at));
    const ssize_t wrote = ::pwrite(fd, zeros.get(), bytes, static_cast<off_t>(at));
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0) return ErrnoStatus("cannot zero-fill", path, errno);
    if (wrote == 0) return Status::IOError("zero-filling " + path + " wrote nothing");
    at += static_cast<uint64_t>(wrote);
  }
  if (::fdatasync(fd) != 0) return ErrnoStatus("cannot flush the zero-filled", path, errno);
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<FileDisk>> FileDisk::Open(const std::string& path,
                                                   const FileDiskOptions& options) {
  SS_RETURN_IF_ERROR(ValidateGeometry(options.geometry));
  if (options.create && options.read_only) {
    return Status::InvalidArgument("a read-only open cannot create " + path);
  }
  int flags = (options.read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;
  if (options.direct_io) flags |= O_DIRECT;
  int fd = ::open(path.c_str(), flags);
  bool created = false;
  if (fd < 0 && errno == ENOENT && options.create) {
    fd = ::open(path.c_str(), flags | O_CREAT | O_EXCL, 0644);
    created = fd >= 0;
  }
  if (fd < 0) {
    if (errno == EINVAL && options.direct_io) {
      return Status::InvalidArgument("the file system of " + path + " does not support O_DIRECT");
    }
    return ErrnoStatus("cannot open", path, errno);
  }
  std::unique_ptr<FileDisk> disk(
      new FileDisk(fd, path, options.geometry, options.direct_io, options.read_only));
  // Whatever goes wrong from here, a file this call created does not outlive it.
  Status status = disk->Prepare(options);
  if (!status.ok()) {
    if (created) ::unlink(path.c_str());
    return status;
  }
  return disk;
}

Status FileDisk::Prepare(const FileDiskOptions& options) {
  SS_RETURN_IF_ERROR(LockImage(fd_, path_, options.read_only, options.wait_for_lock));
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return ErrnoStatus("cannot stat", path_, errno);
  const uint64_t wanted = options.geometry.total_bytes();
  uint64_t have = 0;
  if (S_ISREG(st.st_mode)) {
    have = static_cast<uint64_t>(st.st_size);
    if (options.create && have < wanted) {
      SS_RETURN_IF_ERROR(Extend(fd_, path_, st, wanted));
      if (options.zero_fill) {
        const uint64_t from = (have + kPageBytes - 1) / kPageBytes * kPageBytes;
        SS_RETURN_IF_ERROR(ZeroFill(fd_, path_, from, wanted));
      }
      have = wanted;
    }
  } else if (S_ISBLK(st.st_mode)) {
    if (::ioctl(fd_, BLKGETSIZE64, &have) != 0) {
      return ErrnoStatus("cannot size block device", path_, errno);
    }
  } else {
    return Status::InvalidArgument(path_ + " is neither a regular file nor a block device");
  }
  if (have < wanted) {
    return Status::InvalidArgument(path_ + " holds " + std::to_string(have) + " bytes but " +
                                   std::to_string(options.geometry.extent_count) + " extents of " +
                                   std::to_string(options.geometry.extent_bytes) + " bytes need " +
                                   std::to_string(wanted) + " (truncated image?)");
  }
  return Status::Ok();
}

struct FileDisk::BounceBuffer {
  // A page-aligned buffer of at least `bytes`, or null when memory is short. REQUIRES: mu held.
  uint8_t* Get(size_t bytes) {
    if (capacity < bytes) {
      void* p = nullptr;
      if (posix_memalign(&p, kPageBytes, bytes) != 0) return nullptr;
      buffer.reset(static_cast<uint8_t*>(p));
      capacity = bytes;
    }
    return buffer.get();
  }

  sync::Mutex mu;
  std::unique_ptr<uint8_t, void (*)(void*)> buffer{nullptr, &std::free};  // guarded by mu
  size_t capacity = 0;                                                    // guarded by mu
};

FileDisk::FileDisk(int fd, std::string path, DiskGeometry geometry, bool direct_io, bool read_only)
    : fd_(fd),
      path_(std::move(path)),
      geometry_(geometry),
      direct_io_(direct_io),
      read_only_(read_only),
      bounce_(std::make_unique<BounceBuffer>()) {}

FileDisk::~FileDisk() { ::close(fd_); }

Status FileDisk::WriteAll(std::vector<struct iovec> iov, off_t at) {
  size_t first = 0;
  while (first < iov.size()) {
    const int count = static_cast<int>(std::min<size_t>(iov.size() - first, IOV_MAX));
    const ssize_t n = ::pwritev(fd_, iov.data() + first, count, at);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write failed on", path_, errno);
    }
    if (n == 0) return Status::IOError("write made no progress on " + path_);
    at += n;
    // Skip what was written; a short write leaves a partly written iovec to resume.
    size_t left = static_cast<size_t>(n);
    while (left > 0 && left >= iov[first].iov_len) left -= iov[first++].iov_len;
    if (left > 0) {
      iov[first].iov_base = static_cast<uint8_t*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return Status::Ok();
}

Status FileDisk::Write(uint32_t extent, uint32_t offset, ByteView data) {
  const ByteView pieces[] = {data};
  return WriteGather(extent, offset, pieces);
}

Status FileDisk::WriteGather(uint32_t extent, uint32_t offset, std::span<const ByteView> pieces) {
  if (read_only_) return Status::IOError(path_ + " is open read-only");
  bool aligned = false;
  const size_t total = CheckGather(extent, offset, pieces, &aligned);
  if (direct_io_ && !aligned) {
    sync::LockGuard lock(bounce_->mu);
    uint8_t* bounce = bounce_->Get(total);
    if (bounce == nullptr) return Status::IOError("out of memory for an O_DIRECT bounce buffer");
    JoinPieces(pieces, bounce);
    return WriteAll({{bounce, total}}, FileOffset(extent, offset));
  }
  std::vector<struct iovec> iov;
  iov.reserve(pieces.size());
  for (ByteView piece : pieces) {
    iov.push_back({const_cast<uint8_t*>(piece.data()), piece.size()});
  }
  return WriteAll(std::move(iov), FileOffset(extent, offset));
}

Status FileDisk::Read(uint32_t extent, uint32_t offset, MutableByteView out) {
  CheckRange(extent, offset, out.size());
  const bool bounced = direct_io_ && !IsPageAligned(out.data());
  sync::UniqueLock lock(bounce_->mu, std::defer_lock);
  uint8_t* target = out.data();
  if (bounced) {
    lock.lock();
    target = bounce_->Get(out.size());
    if (target == nullptr) return Status::IOError("out of memory for an O_DIRECT bounce buffer");
  }
  const off_t at = FileOffset(extent, offset);
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd_, target + done, out.size() - done, at + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read failed on", path_, errno);
    }
    if (n == 0) return Status::IOError("unexpected end of file in " + path_);
    done += static_cast<size_t>(n);
  }
  if (bounced) std::memcpy(out.data(), target, out.size());
  return Status::Ok();
}

Status FileDisk::Flush() {
  if (read_only_) return Status::IOError(path_ + " is open read-only");
  while (::fdatasync(fd_) != 0) {
    if (errno != EINTR) return ErrnoStatus("fdatasync failed on", path_, errno);
  }
  return Status::Ok();
}

}  // namespace shardstore
