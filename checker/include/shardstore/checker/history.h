// History: what concurrent clients did, as events — each operation's invocation and its
// completion — in the order they happened. The input of the linearizability checker.
//
// An operation is a read, a write or a compare-and-set of one key's value, or an exists (does
// the key have a value). It completes ok (it
// took effect; a read carries the value it saw), fail (it did not take effect) or info (unknown:
// it may take effect at any point after its invocation, or never — a client timed out, or its
// process crashed). Values are opaque strings; nullopt is "no value" (a register never written,
// a key deleted).
//
// The JSON-lines form (DESIGN.md), one event a line:
//   {"process":0,"type":"invoke","f":"write","key":"k","value":3}
//   {"process":0,"type":"ok","f":"write","key":"k","value":3}
//   {"process":1,"type":"invoke","f":"cas","key":"k","value":[3,4]}
//   {"process":1,"type":"fail","f":"cas","key":"k","value":[3,4]}
//   {"process":2,"type":"ok","f":"exists","key":"k","value":true}
// "key" may be absent (one register). A value is any JSON value; null is "no value". A read's
// invoke may carry any value; its ok carries what was read.
//
// Power cuts. A crash event ({"type":"crash"}) ends every operation still open: those
// invocations never complete, and their effect may have happened before the crash or never. A
// process may invoke again after it. An ok write or cas may carry "persistent":true: its
// Dependency was reported persistent before the next crash, so the crash cannot take its effect
// back (docs/crash-concurrency.md states the rule; the linearizability checker applies it).
//
// HistoryRecorder records events from clients running under the deterministic scheduler (one OS
// thread), so it needs no lock.
//
// Thread-safety: values; HistoryRecorder is not thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shardstore/status.h"

namespace shardstore::checker {

// kExists reads only whether the key has a value ("true" or "false"): a List's answer, one key
// at a time.
enum class OpFunction : uint8_t { kRead, kWrite, kCas, kExists };
inline bool IsRead(OpFunction f) { return f == OpFunction::kRead || f == OpFunction::kExists; }
enum class EventType : uint8_t { kInvoke, kOk, kFail, kInfo, kCrash };

using Value = std::optional<std::string>;

struct Event {
  uint32_t process = 0;
  EventType type = EventType::kInvoke;
  OpFunction f = OpFunction::kRead;
  std::string key;
  Value value;     // write: the value; read ok: what was read; cas: the new value
  Value expected;  // cas: the value it expects
  // An ok write or cas whose durability was reported before the next crash.
  bool persistent = false;
  friend bool operator==(const Event&, const Event&) = default;
};

using History = std::vector<Event>;

// The fields an event may have: process, type, f, key, value, persistent (a crash: type only).
struct ParseHistoryOptions {
  // Strict: a field outside those is an error (a misspelt "valeu" would otherwise be read as
  // a null value). Lenient: it is ignored, and named once in `*ignored_fields` if given.
  bool strict = true;
  std::vector<std::string>* ignored_fields = nullptr;
};
// Parses JSON lines; InvalidArgument naming the line on bad input (including an ok/fail/info
// with no open invocation of its process, or a second invocation while one is open; a crash
// closes every open invocation).
StatusOr<History> ParseHistory(std::string_view json_lines,
                               const ParseHistoryOptions& options = {});
// One JSON line per event.
std::string FormatHistory(const History& history);
// The same events as one JSON array.
nlohmann::json HistoryJson(const History& history);

class HistoryRecorder {
 public:
  // Returns the operation's handle for Complete().
  size_t Invoke(uint32_t process, OpFunction f, std::string key, Value value = std::nullopt,
                Value expected = std::nullopt);
  // `value`: what a read saw (ignored for writes and cas).
  void Complete(size_t operation, EventType outcome, Value value = std::nullopt);
  // Names the key of an operation whose key is known only once it returns (an append whose
  // locator the store picks): it was invoked on that key all along.
  void SetKey(size_t operation, std::string key);
  // The completed (ok) operation was reported persistent before any crash that follows.
  // REQUIRES: Complete(operation, kOk) was called, and no Crash() since.
  void MarkPersistent(size_t operation);
  // The power was cut: every operation still open is left open for good.
  void Crash();
  const History& history() const { return history_; }

 private:
  History history_;
  std::vector<size_t> completion_of_;  // by invocation position: its completion, or SIZE_MAX
};

}  // namespace shardstore::checker
