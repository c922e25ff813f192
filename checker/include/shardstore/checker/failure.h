// Failure: what a checker run found, as a kind and one sentence.
//
// The kind decides what counts as "the same failure": the schedule minimizer keeps a candidate
// only when it fails the same way (same kind, and for assertions the same message), so
// a real lost update never shrinks into an unrelated step-bound livelock, and a replay is checked
// against the kind it promised. Harness bodies that detect a violation of their own (a history
// that is not linearizable, a crash-consistency rule broken) throw a Violation carrying its kind;
// any other exception from a body is an assertion.
//
// Thread-safety: values.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace shardstore::checker {

enum class FailureKind : uint8_t {
  kAssertion,         // the body or the engine threw (SS_ASSERT, a Require in a harness)
  kDeadlock,          // every fiber left is blocked
  kLivelock,          // the step bound was reached: no end in sight
  kMisuse,            // the program breaks a rule of the primitives it uses
  kLinearizability,   // a recorded history has no legal sequential order
  kCrashConsistency,  // what recovery returned is not allowed by the crash semantics
  kNondeterminism,    // the same schedule ran two different ways
};
inline constexpr int kFailureKindCount = static_cast<int>(FailureKind::kNondeterminism) + 1;

std::string_view FailureKindName(FailureKind kind);  // "assertion", "deadlock", ...
std::optional<FailureKind> ParseFailureKind(std::string_view name);

struct Failure {
  FailureKind kind = FailureKind::kAssertion;
  std::string message;

  // Same kind; for assertions, the same message too. A deadlock, a livelock or a misuse may name
  // other fibers (or other unusual choices) and still be the same failure.
  bool SameAs(const Failure& other) const;
  // "deadlock: every fiber left is blocked: ..."
  std::string ToString() const;
  friend bool operator==(const Failure&, const Failure&) = default;
};

// Thrown by a harness body for a violation that is not an assertion.
class Violation : public std::runtime_error {
 public:
  Violation(FailureKind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  FailureKind kind() const { return kind_; }

 private:
  FailureKind kind_;
};

}  // namespace shardstore::checker
