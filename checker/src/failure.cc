#include "shardstore/checker/failure.h"

#include <array>

namespace shardstore::checker {
namespace {

constexpr std::array<std::string_view, kFailureKindCount> kNames = {
    "assertion",       "deadlock",          "livelock",      "misuse",
    "linearizability", "crash-consistency", "nondeterminism"};

}  // namespace

std::string_view FailureKindName(FailureKind kind) { return kNames[static_cast<size_t>(kind)]; }

std::optional<FailureKind> ParseFailureKind(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<FailureKind>(i);
  }
  return std::nullopt;
}

bool Failure::SameAs(const Failure& other) const {
  if (kind != other.kind) return false;
  return kind != FailureKind::kAssertion || message == other.message;
}

std::string Failure::ToString() const {
  return std::string(FailureKindName(kind)) + ": " + message;
}

}  // namespace shardstore::checker
