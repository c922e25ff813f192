#include "shardstore/assert.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace shardstore {
namespace {
std::atomic<AssertMode> g_assert_mode{AssertMode::kAbort};
}  // namespace

// A production build (SHARDSTORE_ASSERT_THROW off) has no throw mode: a broken invariant always
// stops the process, whoever asked otherwise.
#if defined(SHARDSTORE_ASSERT_THROW) && SHARDSTORE_ASSERT_THROW
void SetAssertMode(AssertMode mode) { g_assert_mode.store(mode); }
#else
void SetAssertMode(AssertMode) {}
#endif
AssertMode GetAssertMode() { return g_assert_mode.load(); }

void AssertFail(const char* condition, const char* file, int line, std::string_view message) {
  std::string text =
      std::string("assertion failed: ") + condition + " at " + file + ":" + std::to_string(line);
  if (!message.empty()) text += ": " + std::string(message);
#if defined(SHARDSTORE_ASSERT_THROW) && SHARDSTORE_ASSERT_THROW
  if (g_assert_mode.load() == AssertMode::kThrow) throw AssertionFailure(text);
#endif
  std::fprintf(stderr, "shardstore: %s\n", text.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace shardstore
