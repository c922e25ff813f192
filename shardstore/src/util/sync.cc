#include "shardstore/sync.h"

namespace shardstore::sync {
namespace {

thread_local Hooks* g_hooks = nullptr;

}  // namespace

Hooks* InstalledHooks() { return g_hooks; }

void InstallHooks(Hooks* hooks) { g_hooks = hooks; }

}  // namespace shardstore::sync
