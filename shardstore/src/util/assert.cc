#include "shardstore/assert.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace shardstore {
namespace {
std::atomic<AssertMode> g_assert_mode{AssertMode::kAbort};
}  // namespace

void SetAssertMode(AssertMode mode) { g_assert_mode.store(mode); }
AssertMode GetAssertMode() { return g_assert_mode.load(); }

void AssertFail(const char* condition, const char* file, int line, std::string_view message) {
  std::string text =
      std::string("assertion failed: ") + condition + " at " + file + ":" + std::to_string(line);
  if (!message.empty()) text += ": " + std::string(message);
  if (g_assert_mode.load() == AssertMode::kThrow) throw AssertionFailure(text);
  std::fprintf(stderr, "shardstore: %s\n", text.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace shardstore
