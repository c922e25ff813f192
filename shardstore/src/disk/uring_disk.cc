#include "shardstore/uring_disk.h"

#include <liburing.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>

#include "shardstore/limits.h"
#include "shardstore/sync.h"

namespace shardstore {
namespace {

Status RingError(const std::string& what, int negative_errno) {
  return Status::IOError(what + ": " + std::strerror(-negative_errno));
}

bool DisabledByEnvironment() {
  const char* value = std::getenv("SHARDSTORE_DISABLE_IO_URING");
  return value != nullptr && *value != '\0' && std::strcmp(value, "0") != 0;
}

}  // namespace

struct UringDisk::Ring {
  io_uring ring{};
  // Page-aligned staging for callers' unaligned buffers under O_DIRECT; grows, never shrinks.
  std::unique_ptr<uint8_t, void (*)(void*)> staging{nullptr, &std::free};
  size_t staging_bytes = 0;
  // A failed submission may leave prepared entries behind: such a ring is never reused.
  bool broken = false;
  bool set_up = false;

  ~Ring() {
    if (set_up) io_uring_queue_exit(&ring);
  }

  uint8_t* Staging(size_t bytes) {
    if (staging_bytes < bytes) {
      void* p = nullptr;
      if (posix_memalign(&p, kPageBytes, bytes) != 0) return nullptr;
      staging.reset(static_cast<uint8_t*>(p));
      staging_bytes = bytes;
    }
    return staging.get();
  }
};

Status UringDisk::Available() {
  if (DisabledByEnvironment()) {
    return Status::IOError("io_uring is disabled by SHARDSTORE_DISABLE_IO_URING");
  }
  io_uring ring{};
  const int rc = io_uring_queue_init(2, &ring, 0);
  if (rc < 0) return RingError("the kernel refuses io_uring (io_uring_setup)", rc);
  io_uring_probe* probe = io_uring_get_probe_ring(&ring);
  const bool supported = probe != nullptr && io_uring_opcode_supported(probe, IORING_OP_READ) &&
                         io_uring_opcode_supported(probe, IORING_OP_WRITE) &&
                         io_uring_opcode_supported(probe, IORING_OP_FSYNC);
  if (probe != nullptr) io_uring_free_probe(probe);
  io_uring_queue_exit(&ring);
  if (!supported) {
    return Status::IOError("the kernel's io_uring lacks read, write or fsync (kernel < 5.6)");
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<UringDisk>> UringDisk::Open(const std::string& path,
                                                     const FileDiskOptions& options) {
  SS_RETURN_IF_ERROR(Available());
  SS_ASSIGN_OR_RETURN(std::unique_ptr<FileDisk> file, FileDisk::Open(path, options));
  std::unique_ptr<UringDisk> disk(new UringDisk(std::move(file)));
  // Set up one ring now, so a refusal shows at Open rather than at the first IO.
  SS_ASSIGN_OR_RETURN(std::unique_ptr<Ring> ring, disk->Acquire());
  disk->Release(std::move(ring));
  return disk;
}

struct UringDisk::RingPool {
  sync::Mutex mu;
  sync::CondVar returned;
  std::vector<std::unique_ptr<Ring>> idle;  // guarded by mu
  uint32_t rings = 0;                       // guarded by mu: rings alive, idle or not
};

UringDisk::UringDisk(std::unique_ptr<FileDisk> file)
    : file_(std::move(file)), pool_(std::make_unique<RingPool>()) {}

UringDisk::~UringDisk() {
  sync::LockGuard lock(pool_->mu);
  SS_ASSERT_MSG(pool_->idle.size() == pool_->rings,
                "a UringDisk destroyed while an IO is in flight");
}

StatusOr<std::unique_ptr<UringDisk::Ring>> UringDisk::Acquire() {
  sync::UniqueLock lock(pool_->mu);
  pool_->returned.Wait(lock,
                       [&] { return !pool_->idle.empty() || pool_->rings < kUringRingsMax; });
  if (!pool_->idle.empty()) {
    std::unique_ptr<Ring> ring = std::move(pool_->idle.back());
    pool_->idle.pop_back();
    return ring;
  }
  auto ring = std::make_unique<Ring>();
  const int rc = io_uring_queue_init(kUringQueueDepth, &ring->ring, 0);
  if (rc < 0) return RingError("cannot set up an io_uring ring for " + file_->path(), rc);
  ring->set_up = true;
  ++pool_->rings;
  return ring;
}

void UringDisk::Release(std::unique_ptr<Ring> ring) {
  sync::LockGuard lock(pool_->mu);
  if (ring->broken) {
    --pool_->rings;
  } else {
    pool_->idle.push_back(std::move(ring));
  }
  pool_->returned.NotifyOne();
}

void UringDisk::Cut(uint8_t* data, size_t bytes, uint64_t at, std::vector<Segment>* segments) {
  for (size_t done = 0; done < bytes;) {
    const auto piece = static_cast<uint32_t>(std::min<size_t>(bytes - done, kUringSegmentBytes));
    segments->push_back(Segment{data + done, piece, at + done});
    done += piece;
  }
}

Status UringDisk::Run(Ring& ring, bool write, std::vector<Segment> segments) {
  std::deque<size_t> to_submit;
  for (size_t i = 0; i < segments.size(); ++i) to_submit.push_back(i);
  const int fd = file_->fd();
  const std::string what = write ? "write failed on " : "read failed on ";
  Status first_error;
  uint32_t in_flight = 0;
  while (in_flight > 0 || (!to_submit.empty() && first_error.ok())) {
    uint32_t prepared = 0;
    while (first_error.ok() && !to_submit.empty() && in_flight + prepared < kUringQueueDepth) {
      io_uring_sqe* sqe = io_uring_get_sqe(&ring.ring);
      if (sqe == nullptr) break;
      const Segment& s = segments[to_submit.front()];
      if (write) {
        io_uring_prep_write(sqe, fd, s.data, s.bytes, s.at);
      } else {
        io_uring_prep_read(sqe, fd, s.data, s.bytes, s.at);
      }
      io_uring_sqe_set_data64(sqe, to_submit.front());
      to_submit.pop_front();
      ++prepared;
    }
    if (prepared > 0) {
      int submitted = io_uring_submit(&ring.ring);
      while (submitted == -EINTR) submitted = io_uring_submit(&ring.ring);
      if (submitted < 0 || static_cast<uint32_t>(submitted) != prepared) {
        // Entries left in the submission queue point into this call's buffers: drain what is in
        // flight, and never hand this ring out again.
        ring.broken = true;
        first_error = submitted < 0 ? RingError("io_uring_submit on " + file_->path(), submitted)
                                    : Status::IOError("io_uring_submit took part of a batch");
        if (submitted > 0) in_flight += static_cast<uint32_t>(submitted);
        continue;
      }
      in_flight += prepared;
    }
    if (in_flight == 0) break;
    io_uring_cqe* cqe = nullptr;
    const int rc = io_uring_wait_cqe(&ring.ring, &cqe);
    if (rc == -EINTR) continue;
    if (rc < 0) {
      // The completions can no longer be reaped: the buffers may still be written into.
      ring.broken = true;
      SS_ASSERT_MSG(false, "io_uring_wait_cqe failed with IO in flight");
    }
    const size_t index = io_uring_cqe_get_data64(cqe);
    const int res = cqe->res;
    io_uring_cqe_seen(&ring.ring, cqe);
    --in_flight;
    Segment& s = segments[index];
    if (res == -EINTR || res == -EAGAIN) {
      to_submit.push_back(index);
    } else if (res < 0) {
      if (first_error.ok()) first_error = RingError(what + file_->path(), res);
    } else if (res == 0) {
      if (first_error.ok()) {
        first_error = Status::IOError(write ? "write made no progress on " + file_->path()
                                            : "unexpected end of file in " + file_->path());
      }
    } else if (static_cast<uint32_t>(res) < s.bytes) {
      s.data += res;
      s.bytes -= static_cast<uint32_t>(res);
      s.at += static_cast<uint64_t>(res);
      to_submit.push_back(index);
    }
  }
  return first_error;
}

Status UringDisk::Write(uint32_t extent, uint32_t offset, ByteView data) {
  const ByteView pieces[] = {data};
  return WriteGather(extent, offset, pieces);
}

Status UringDisk::WriteGather(uint32_t extent, uint32_t offset, std::span<const ByteView> pieces) {
  if (file_->read_only()) return Status::IOError(file_->path() + " is open read-only");
  bool aligned = false;
  const size_t total = CheckGather(extent, offset, pieces, &aligned);
  SS_ASSIGN_OR_RETURN(std::unique_ptr<Ring> ring, Acquire());
  std::vector<Segment> segments;
  const uint64_t at = FileOffset(extent, offset);
  if (file_->direct_io() && !aligned) {
    uint8_t* staging = ring->Staging(total);
    if (staging == nullptr) {
      Release(std::move(ring));
      return Status::IOError("out of memory for an O_DIRECT staging buffer");
    }
    JoinPieces(pieces, staging);
    staged_bytes_.fetch_add(total, std::memory_order_relaxed);
    Cut(staging, total, at, &segments);
  } else {
    uint64_t piece_at = at;
    for (ByteView piece : pieces) {
      Cut(const_cast<uint8_t*>(piece.data()), piece.size(), piece_at, &segments);
      piece_at += piece.size();
    }
  }
  Status status = Run(*ring, /*write=*/true, std::move(segments));
  Release(std::move(ring));
  return status;
}

Status UringDisk::Read(uint32_t extent, uint32_t offset, MutableByteView out) {
  CheckRange(extent, offset, out.size());
  SS_ASSIGN_OR_RETURN(std::unique_ptr<Ring> ring, Acquire());
  const bool staged = file_->direct_io() && !IsPageAligned(out.data());
  uint8_t* target = staged ? ring->Staging(out.size()) : out.data();
  if (target == nullptr) {
    Release(std::move(ring));
    return Status::IOError("out of memory for an O_DIRECT staging buffer");
  }
  std::vector<Segment> segments;
  Cut(target, out.size(), FileOffset(extent, offset), &segments);
  Status status = Run(*ring, /*write=*/false, std::move(segments));
  if (status.ok() && staged) {
    std::memcpy(out.data(), target, out.size());
    staged_bytes_.fetch_add(out.size(), std::memory_order_relaxed);
  }
  Release(std::move(ring));
  return status;
}

Status UringDisk::Flush() {
  if (file_->read_only()) return Status::IOError(file_->path() + " is open read-only");
  SS_ASSIGN_OR_RETURN(std::unique_ptr<Ring> ring, Acquire());
  Status status;
  for (;;) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring->ring);
    SS_ASSERT(sqe != nullptr);  // the ring is empty between calls
    io_uring_prep_fsync(sqe, file_->fd(), IORING_FSYNC_DATASYNC);
    int submitted = io_uring_submit(&ring->ring);
    while (submitted == -EINTR) submitted = io_uring_submit(&ring->ring);
    if (submitted != 1) {
      ring->broken = true;
      status = RingError("io_uring_submit on " + file_->path(), submitted < 0 ? submitted : -EIO);
      break;
    }
    io_uring_cqe* cqe = nullptr;
    int rc = io_uring_wait_cqe(&ring->ring, &cqe);
    while (rc == -EINTR) rc = io_uring_wait_cqe(&ring->ring, &cqe);
    SS_ASSERT_MSG(rc == 0, "io_uring_wait_cqe failed with a flush in flight");
    const int res = cqe->res;
    io_uring_cqe_seen(&ring->ring, cqe);
    if (res == -EINTR || res == -EAGAIN) continue;
    if (res < 0) status = RingError("fdatasync failed on " + file_->path(), res);
    break;
  }
  Release(std::move(ring));
  return status;
}

}  // namespace shardstore
