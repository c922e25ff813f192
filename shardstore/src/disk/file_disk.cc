#include "shardstore/file_disk.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "shardstore/limits.h"

namespace shardstore {
namespace {

Status ErrnoStatus(const std::string& what, const std::string& path, int error) {
  return Status::IOError(what + " " + path + ": " + std::strerror(error));
}

// O_DIRECT needs page-aligned buffers; a caller's buffer that is not gets bounced.
bool IsAligned(const void* p) { return reinterpret_cast<uintptr_t>(p) % kPageBytes == 0; }

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

StatusOr<std::unique_ptr<FileDisk>> FileDisk::Open(const std::string& path,
                                                   const FileDiskOptions& options) {
  SS_RETURN_IF_ERROR(ValidateGeometry(options.geometry));
  int flags = O_RDWR | O_CLOEXEC;
  if (options.create) flags |= O_CREAT;
  if (options.direct_io) flags |= O_DIRECT;
  const int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) {
    if (errno == EINVAL && options.direct_io) {
      return Status::InvalidArgument("the file system of " + path + " does not support O_DIRECT");
    }
    return ErrnoStatus("cannot open", path, errno);
  }
  std::unique_ptr<FileDisk> disk(new FileDisk(fd, path, options.geometry, options.direct_io));

  struct stat st {};
  if (::fstat(fd, &st) != 0) return ErrnoStatus("cannot stat", path, errno);
  const uint64_t wanted = options.geometry.total_bytes();
  uint64_t have = 0;
  if (S_ISREG(st.st_mode)) {
    have = static_cast<uint64_t>(st.st_size);
    if (options.create && have < wanted) {
      if (::ftruncate(fd, static_cast<off_t>(wanted)) != 0) {
        return ErrnoStatus("cannot size", path, errno);
      }
      have = wanted;
    }
  } else if (S_ISBLK(st.st_mode)) {
    if (::ioctl(fd, BLKGETSIZE64, &have) != 0) {
      return ErrnoStatus("cannot size block device", path, errno);
    }
  } else {
    return Status::InvalidArgument(path + " is neither a regular file nor a block device");
  }
  if (have < wanted) {
    return Status::InvalidArgument(path + " holds " + std::to_string(have) + " bytes but " +
                                   std::to_string(options.geometry.extent_count) + " extents of " +
                                   std::to_string(options.geometry.extent_bytes) + " bytes need " +
                                   std::to_string(wanted) + " (truncated image?)");
  }
  return disk;
}

FileDisk::FileDisk(int fd, std::string path, DiskGeometry geometry, bool direct_io)
    : fd_(fd), path_(std::move(path)), geometry_(geometry), direct_io_(direct_io) {}

FileDisk::~FileDisk() { ::close(fd_); }

uint8_t* FileDisk::Bounce(size_t bytes) {
  if (bounce_bytes_ < bytes) {
    void* p = nullptr;
    if (posix_memalign(&p, kPageBytes, bytes) != 0) return nullptr;
    bounce_.reset(static_cast<uint8_t*>(p));
    bounce_bytes_ = bytes;
  }
  return bounce_.get();
}

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
  size_t total = 0;
  bool aligned = true;
  for (ByteView piece : pieces) {
    SS_ASSERT(piece.size() % kPageBytes == 0);
    total += piece.size();
    aligned = aligned && IsAligned(piece.data());
  }
  CheckRange(extent, offset, total);
  if (direct_io_ && !aligned) {
    sync::LockGuard lock(bounce_mu_);
    uint8_t* bounce = Bounce(total);
    if (bounce == nullptr) return Status::IOError("out of memory for an O_DIRECT bounce buffer");
    size_t at = 0;
    for (ByteView piece : pieces) {
      std::memcpy(bounce + at, piece.data(), piece.size());
      at += piece.size();
    }
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
  const bool bounced = direct_io_ && !IsAligned(out.data());
  sync::UniqueLock lock(bounce_mu_, std::defer_lock);
  uint8_t* target = out.data();
  if (bounced) {
    lock.lock();
    target = Bounce(out.size());
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
  while (::fdatasync(fd_) != 0) {
    if (errno != EINTR) return ErrnoStatus("fdatasync failed on", path_, errno);
  }
  return Status::Ok();
}

}  // namespace shardstore
