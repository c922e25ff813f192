// SS_ASSERT: checks for programmer errors, on in every build type.
//
// An assertion failure means the engine's own invariants are broken; it is never used for bad
// input, bad disk bytes or IO errors (those are Statuses). By default a failure prints the
// condition and aborts. Test binaries call SetAssertMode(AssertMode::kThrow) so a failure becomes
// an AssertionFailure exception that a property-based test can catch, report and shrink. A
// production build compiles the throw mode out: there SetAssertMode does nothing and a failure
// always aborts.
//
// Thread-safety: the mode is a process-wide atomic; set it once at start-up.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace shardstore {

enum class AssertMode { kAbort, kThrow };

// Thrown by a failed SS_ASSERT in AssertMode::kThrow.
class AssertionFailure : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

void SetAssertMode(AssertMode mode);
AssertMode GetAssertMode();

[[noreturn]] void AssertFail(const char* condition, const char* file, int line,
                             std::string_view message);

}  // namespace shardstore

#define SS_ASSERT(condition)          \
  ((condition) ? static_cast<void>(0) \
               : ::shardstore::AssertFail(#condition, __FILE__, __LINE__, std::string_view{}))

#define SS_ASSERT_MSG(condition, message) \
  ((condition) ? static_cast<void>(0)     \
               : ::shardstore::AssertFail(#condition, __FILE__, __LINE__, (message)))
