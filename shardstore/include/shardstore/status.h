// Status and StatusOr<T>: errors as values.
//
// Every operation that can fail for a reason outside the program's control (a bad disk byte, an
// IO error, a full disk, a bad argument) returns a Status or a StatusOr<T>. Both are
// [[nodiscard]]; a caller that deliberately drops an error writes `.IgnoreError()` so the
// decision can be found with grep. Programmer errors are not Statuses: they are SS_ASSERTs.
//
// Thread-safety: values; a const Status may be read from many threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "shardstore/assert.h"

namespace shardstore {

enum class StatusCode : unsigned char {
  kOk = 0,
  kNotFound,
  kCorruption,
  kIOError,
  kNoSpace,
  kInvalidArgument,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;

  static Status Ok() { return Status(); }
  static Status NotFound(std::string message) {
    return {StatusCode::kNotFound, std::move(message)};
  }
  static Status Corruption(std::string message) {
    return {StatusCode::kCorruption, std::move(message)};
  }
  static Status IOError(std::string message) { return {StatusCode::kIOError, std::move(message)}; }
  static Status NoSpace(std::string message) { return {StatusCode::kNoSpace, std::move(message)}; }
  static Status InvalidArgument(std::string message) {
    return {StatusCode::kInvalidArgument, std::move(message)};
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  bool IsNotFound() const { return code_ == StatusCode::kNotFound; }
  bool IsCorruption() const { return code_ == StatusCode::kCorruption; }
  bool IsIOError() const { return code_ == StatusCode::kIOError; }
  bool IsNoSpace() const { return code_ == StatusCode::kNoSpace; }
  bool IsInvalidArgument() const { return code_ == StatusCode::kInvalidArgument; }

  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(std::string_view context) const;

  // "OK" or "<code name>: <message>".
  std::string ToString() const;

  // Marks a dropped error as deliberate.
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {
    SS_ASSERT(code != StatusCode::kOk);
  }

  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Either a T or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    SS_ASSERT_MSG(!status_.ok(), "StatusOr built from an OK Status without a value");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const& { return status_; }
  Status status() && { return std::move(status_); }

  // REQUIRES: ok().
  T& value() & {
    SS_ASSERT_MSG(ok(), status_.ToString());
    return *value_;
  }
  const T& value() const& {
    SS_ASSERT_MSG(ok(), status_.ToString());
    return *value_;
  }
  T&& value() && {
    SS_ASSERT_MSG(ok(), status_.ToString());
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  void IgnoreError() const {}

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace shardstore

#define SS_STATUS_CONCAT_INNER(a, b) a##b
#define SS_STATUS_CONCAT(a, b) SS_STATUS_CONCAT_INNER(a, b)

// Returns from the enclosing function if `expr` (a Status) is not OK.
#define SS_RETURN_IF_ERROR(expr)              \
  do {                                        \
    ::shardstore::Status ss_status_ = (expr); \
    if (!ss_status_.ok()) return ss_status_;  \
  } while (false)

// `lhs = value of expr` (a StatusOr), or returns its Status from the enclosing function.
#define SS_ASSIGN_OR_RETURN(lhs, expr) \
  SS_ASSIGN_OR_RETURN_IMPL(SS_STATUS_CONCAT(ss_statusor_, __LINE__), lhs, expr)
#define SS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return std::move(tmp).status(); \
  lhs = std::move(tmp).value()
