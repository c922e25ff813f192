#include "shardstore/sync.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace shardstore::sync {
namespace {

thread_local Hooks* g_hooks = nullptr;

}  // namespace

Hooks* InstalledHooks() { return g_hooks; }

SharedMutex::SharedMutex() {
  pthread_rwlockattr_t attributes;
  pthread_rwlockattr_init(&attributes);
  // glibc's writer preference; PTHREAD_RWLOCK_PREFER_WRITER_NP alone is ignored (glibc treats
  // it as reader preference), only the non-recursive kind makes readers wait behind a writer.
  pthread_rwlockattr_setkind_np(&attributes, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  if (const int error = pthread_rwlock_init(&mu_, &attributes); error != 0) Failed(error, "init");
  pthread_rwlockattr_destroy(&attributes);
}

SharedMutex::~SharedMutex() { pthread_rwlock_destroy(&mu_); }

void SharedMutex::Failed(int error, const char* call) {
  std::fprintf(stderr, "shardstore: SharedMutex: %s failed: %s\n", call, std::strerror(error));
  std::abort();
}

void InstallHooks(Hooks* hooks) { g_hooks = hooks; }

}  // namespace shardstore::sync
