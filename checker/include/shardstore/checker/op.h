// Op: one concrete step of a conformance sequence, and the alphabet of every harness.
//
// An Op is plain data: what to do and its arguments, never a pointer into a run. Arguments that
// name engine state the generator cannot know (which extent to reclaim, which chunk to read)
// are selectors, resolved when the step runs ("the selector-th extent holding live data"), so a
// sequence stays meaningful after shrinking removes the steps before it. The same Op prints
// three ways: a readable step, a compact token piece (replay tokens) and C++ (pasted tests).
//
// Alphabets, simplest first (shrinking prefers earlier kinds):
//   store:        Get Put Delete List IndexFlush Compact Reclaim Reboot FailDiskOnce DirtyReboot
//                 DropCache Fill Corrupt
//   index:        Get Put Delete List IndexFlush Compact Reclaim Reboot FailDiskOnce
//   chunk store:  Read Append Reset Flush Reboot Corrupt DirtyReboot DropCache
//
// DropCache forgets the read cache and reads everything again: every read must now go to the
// disk, so bytes damaged there must read as Corruption, and undamaged ones as the model says.
//
// Fill(size, fill) puts values of `size` bytes under keys outside the pool until the store
// returns NoSpace (at most kFillPutsMax puts): it drives the disk to the free-extent reserve.
// Then, with an even `fill`, it deletes them and flushes; with an odd one it leaves the disk
// full, so the steps after it run at the reserve.
//
// DirtyReboot(type, barrier, plan) cuts the power. Type kNow: at once — the memtable, queued
// writes and the read cache are lost, and the plan picks which pages written but not yet flushed
// survive. Type kDuringFlush: during a flush of everything (memtable, then the superblock), at
// its `barrier`-th disk flush. Type kDuringNextOp: at the `barrier`-th disk flush from now, in
// whatever the next ops do (how the crash explorer's findings replay). The plan keeps pending
// page i whole when bit i of `selector` is set, and page size-1 (if size > 0) torn after `fill`
// sectors and `torn_bytes` bytes more (a sector torn in its middle; tokens carry it only when
// it is not 0, so older tokens read as before).
//
// Corrupt(#n, bit) flips one bit on the disk, at `bit` (modulo the target's bits): media
// corruption. Chunk store: the n-th chunk still held. Store: the n-th of every live data chunk,
// index run chunk and the metadata chunk, then superblock slot 0 and slot 1.
//
// Thread-safety: values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shardstore::checker {

enum class OpKind : uint8_t {
  kGet,
  kPut,
  kDelete,
  kList,
  kIndexFlush,
  kCompact,
  kReclaim,
  kReboot,
  kFailDiskOnce,
  kDirtyReboot,
  kRead,
  kAppend,
  kReset,
  kFlush,
  kCorrupt,
  kDropCache,
  kFill,
};
inline constexpr int kOpKindCount = static_cast<int>(OpKind::kFill) + 1;

enum class FaultIo : uint8_t { kRead, kWrite };
enum class RebootType : uint8_t { kNow, kDuringFlush, kDuringNextOp };

struct Op {
  OpKind kind = OpKind::kList;
  uint32_t key = 0;       // Get Put Delete Append: index into the key pool; DirtyReboot: type
  uint32_t size = 0;      // Put Append Fill: value bytes; DirtyReboot: torn page + 1 (0: none);
                          // Corrupt: the bit flipped
  uint8_t fill = 0;       // Put Append: the value's bytes derive from it; DirtyReboot: sectors
  uint32_t selector = 0;  // Reclaim Reset Read FailDiskOnce Corrupt: resolved at run time;
                          // DirtyReboot: mask of the pending pages kept
  uint8_t skip = 0;       // FailDiskOnce: fail the skip+1-th access; DirtyReboot: barrier
  FaultIo io = FaultIo::kRead;  // FailDiskOnce
  uint16_t torn_bytes = 0;      // DirtyReboot: bytes of the torn page's next sector kept
  friend bool operator==(const Op&, const Op&) = default;
};

std::string_view OpKindName(OpKind kind);
// Fill stops after this many Puts (a disk of the harnesses' size is full long before).
// Keys are pool indices below kSizedKeyMin, so the store's keys (six) and these fit.
inline constexpr uint32_t kFillPutsMax = 90;

// The key pool. An index below kSizedKeyMin names a one-letter key ("a", "b", ...; "bb" past
// 26); an index n at or above it names a key of exactly n bytes, so the pool reaches the key
// limit and one past it (kKeyBytesMax, kKeyBytesMax - 1, kKeyBytesMax + 1). Tokens carry the
// index; a sized key shows as "k1024".
inline constexpr uint32_t kSizedKeyMin = 100;
// How the key shows in steps, tokens' readable forms and violations: "a", or "k1024".
std::string KeyName(uint32_t key);
// The key itself: KeyName, padded with '~' to n bytes for a sized key.
std::string PoolKey(uint32_t key);
// A pool key as KeyName shows it (the padding cut off).
std::string_view ShortKey(std::string_view key);
// A harness's valid keys: `letters` one-letter keys, then keys of kKeyBytesMax - 1 and
// kKeyBytesMax bytes.
std::vector<uint32_t> KeyPool(uint32_t letters);

// "Put(b, 4097 bytes, fill 7)".
std::string Show(const Op& op);
// "P1,4097,7": a token piece (letters and digits and commas only, safe in a shell).
std::string Encode(const Op& op);
std::optional<Op> Decode(std::string_view piece);
// "op::Put(1, 4097, 7)": a C++ expression building the op (see namespace op below).
std::string ToCpp(const Op& op);

// Builders, for hand-written and generated tests.
namespace op {
inline Op Get(uint32_t key) { return {.kind = OpKind::kGet, .key = key}; }
inline Op Put(uint32_t key, uint32_t size, uint8_t fill) {
  return {.kind = OpKind::kPut, .key = key, .size = size, .fill = fill};
}
inline Op Delete(uint32_t key) { return {.kind = OpKind::kDelete, .key = key}; }
inline Op List() { return {.kind = OpKind::kList}; }
inline Op IndexFlush() { return {.kind = OpKind::kIndexFlush}; }
inline Op Compact() { return {.kind = OpKind::kCompact}; }
inline Op Reclaim(uint32_t selector) { return {.kind = OpKind::kReclaim, .selector = selector}; }
inline Op Reboot() { return {.kind = OpKind::kReboot}; }
inline Op FailDiskOnce(uint32_t selector, FaultIo io, uint8_t skip) {
  return {.kind = OpKind::kFailDiskOnce, .selector = selector, .skip = skip, .io = io};
}
inline Op DirtyReboot(RebootType type, uint8_t barrier, uint32_t keep_mask, uint32_t torn_page,
                      uint8_t torn_sectors, uint16_t torn_bytes = 0) {
  return {.kind = OpKind::kDirtyReboot,
          .key = static_cast<uint32_t>(type),
          .size = torn_page,
          .fill = torn_sectors,
          .selector = keep_mask,
          .skip = barrier,
          .torn_bytes = torn_bytes};
}
inline Op Read(uint32_t selector) { return {.kind = OpKind::kRead, .selector = selector}; }
inline Op Append(uint32_t key, uint32_t size, uint8_t fill) {
  return {.kind = OpKind::kAppend, .key = key, .size = size, .fill = fill};
}
inline Op Reset(uint32_t selector) { return {.kind = OpKind::kReset, .selector = selector}; }
inline Op Flush() { return {.kind = OpKind::kFlush}; }
inline Op Corrupt(uint32_t selector, uint32_t bit) {
  return {.kind = OpKind::kCorrupt, .size = bit, .selector = selector};
}
inline Op DropCache() { return {.kind = OpKind::kDropCache}; }
inline Op Fill(uint32_t size, uint8_t fill) {
  return {.kind = OpKind::kFill, .size = size, .fill = fill};
}
}  // namespace op

}  // namespace shardstore::checker
