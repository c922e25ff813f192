// Op: one concrete step of a conformance sequence, and the alphabet of every harness.
//
// An Op is plain data: what to do and its arguments, never a pointer into a run. Arguments that
// name engine state the generator cannot know (which extent to reclaim, which chunk to read)
// are selectors, resolved when the step runs ("the selector-th extent holding live data"), so a
// sequence stays meaningful after shrinking removes the steps before it. The same Op prints
// three ways: a readable step, a compact token piece (replay tokens) and C++ (pasted tests).
//
// Alphabets, simplest first (shrinking prefers earlier kinds):
//   store, index: Get Put Delete List IndexFlush Compact Reclaim Reboot FailDiskOnce
//   chunk store:  Read Append Reset Flush Reboot
//
// Thread-safety: values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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
  kRead,
  kAppend,
  kReset,
  kFlush,
};
inline constexpr int kOpKindCount = static_cast<int>(OpKind::kFlush) + 1;

enum class FaultIo : uint8_t { kRead, kWrite };

struct Op {
  OpKind kind = OpKind::kList;
  uint32_t key = 0;             // Get Put Delete Append: index into the harness's key pool
  uint32_t size = 0;            // Put Append: value bytes
  uint8_t fill = 0;             // Put Append: the value's bytes derive from it
  uint32_t selector = 0;        // Reclaim Reset Read FailDiskOnce: resolved at run time
  uint8_t skip = 0;             // FailDiskOnce: fail the skip+1-th access
  FaultIo io = FaultIo::kRead;  // FailDiskOnce
  friend bool operator==(const Op&, const Op&) = default;
};

std::string_view OpKindName(OpKind kind);
// The pool's key names: "a", "b", ...
std::string KeyName(uint32_t key);

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
inline Op Read(uint32_t selector) { return {.kind = OpKind::kRead, .selector = selector}; }
inline Op Append(uint32_t key, uint32_t size, uint8_t fill) {
  return {.kind = OpKind::kAppend, .key = key, .size = size, .fill = fill};
}
inline Op Reset(uint32_t selector) { return {.kind = OpKind::kReset, .selector = selector}; }
inline Op Flush() { return {.kind = OpKind::kFlush}; }
}  // namespace op

}  // namespace shardstore::checker
