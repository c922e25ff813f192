// Disk: the storage device under the engine, a row of equal extents written in whole pages.
//
// A Disk has `extent_count` extents of `extent_bytes` each. The engine writes and reads whole
// 4 KiB pages at page-aligned offsets inside one extent; Flush is the durability barrier: a write
// that returned before a successful Flush began is durable when Flush returns, and nothing is
// promised about an unflushed write after a crash (it may be lost, kept, or torn at a sector).
//
// Implementations: MemDisk (deterministic, crash and fault injection), FileDisk (a file or block
// device). The engine takes its Disk through options and never owns it. ForwardingDisk lets a
// wrapper (fault layer, counter) override one method and forward the rest.
//
// Thread-safety: implementations are thread-safe unless they say otherwise.
#pragma once

#include <cstdint>

#include "shardstore/status.h"
#include "shardstore/types.h"

namespace shardstore {

struct DiskGeometry {
  uint32_t extent_count = 0;
  uint32_t extent_bytes = 0;

  uint64_t total_bytes() const { return uint64_t{extent_count} * extent_bytes; }
  friend bool operator==(const DiskGeometry&, const DiskGeometry&) = default;
};

// Checks that a geometry is one the engine can use (bounds, page alignment).
Status ValidateGeometry(const DiskGeometry& geometry);

class Disk {
 public:
  virtual ~Disk() = default;

  virtual DiskGeometry geometry() const = 0;

  // REQUIRES: offset and data.size() are multiples of kPageBytes, data is not empty, and
  // offset + data.size() <= extent_bytes.
  virtual Status Write(uint32_t extent, uint32_t offset, ByteView data) = 0;

  // Writes `pieces` back to back from `offset`, as one IO where the device allows it. The
  // default joins them and calls Write. REQUIRES: as Write, for the pieces' total size; each
  // piece a page multiple.
  virtual Status WriteGather(uint32_t extent, uint32_t offset, std::span<const ByteView> pieces);

  // Reads what the device holds now (including unflushed writes). Same REQUIRES as Write.
  virtual Status Read(uint32_t extent, uint32_t offset, MutableByteView out) = 0;

  // Makes every write that completed before this call durable.
  virtual Status Flush() = 0;

  // True when reads go to the device itself, not through the kernel's page cache (O_DIRECT):
  // then nothing but the store's own read cache stands in front of the device.
  virtual bool BypassesPageCache() const { return false; }

 protected:
  // Asserts the REQUIRES of Write and Read.
  void CheckRange(uint32_t extent, uint32_t offset, size_t bytes) const;

  // Asserts the REQUIRES of WriteGather and returns the pieces' total bytes; *page_aligned says
  // whether every piece starts on a page boundary (what O_DIRECT needs).
  size_t CheckGather(uint32_t extent, uint32_t offset, std::span<const ByteView> pieces,
                     bool* page_aligned) const;
};

// True when `p` lies on a page boundary.
bool IsPageAligned(const void* p);
// Copies `pieces` back to back into `out`. REQUIRES: out holds their total size.
void JoinPieces(std::span<const ByteView> pieces, uint8_t* out);

// Forwards every call to a target disk; subclasses override what they change.
class ForwardingDisk : public Disk {
 public:
  // REQUIRES: target outlives this object.
  explicit ForwardingDisk(Disk* target) : target_(target) {}

  DiskGeometry geometry() const override { return target_->geometry(); }
  Status Write(uint32_t extent, uint32_t offset, ByteView data) override {
    return target_->Write(extent, offset, data);
  }
  Status WriteGather(uint32_t extent, uint32_t offset, std::span<const ByteView> pieces) override {
    return target_->WriteGather(extent, offset, pieces);
  }
  Status Read(uint32_t extent, uint32_t offset, MutableByteView out) override {
    return target_->Read(extent, offset, out);
  }
  Status Flush() override { return target_->Flush(); }
  bool BypassesPageCache() const override { return target_->BypassesPageCache(); }

 protected:
  Disk* target() const { return target_; }

 private:
  Disk* target_;
};

}  // namespace shardstore
