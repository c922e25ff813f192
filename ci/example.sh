#!/usr/bin/env bash
# The package from outside the tree: installs BUILD_DIR to a temporary prefix, configures
# examples/kvlog against it with -DCMAKE_PREFIX_PATH, builds it, runs its checks on the clean
# component (they must pass), then with its seeded bugs on: each of the three checks —
# conformance, crash, concurrency — must find overwrite_keeps_first, and the crash check must
# find sync_skips_flush, which the conformance check cannot see.
#
#   ci/example.sh [BUILD_DIR]   (default build/debug)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/debug}
work=$(mktemp -d /tmp/shardstore-example-XXXXXX)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S examples/kvlog -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/build" --parallel 2
checks="$work/build/kvlog_checks"
export RC_PARAMS="seed=1 max_success=200"

echo "example: the clean component passes every check"
"$checks"

for check in KvLogSpecTest.ConformsToModel KvLogSpecTest.RecoversWhatACrashMayLeave \
             KvLogConcurrencyTest.ClientsAreLinearizable; do
  log="$work/$check.log"
  if KVLOG_SEEDED_BUG=overwrite_keeps_first "$checks" --gtest_filter="$check" >"$log" 2>&1; then
    echo "example: $check did not find the seeded bug overwrite_keeps_first" >&2
    exit 1
  fi
  if ! grep -q -E 'VIOLATION|not linearizable' "$log"; then
    echo "example: $check failed without reporting a violation:" >&2
    cat "$log" >&2
    exit 1
  fi
  echo "example: $check found the seeded bug"
done

log="$work/sync_skips_flush.log"
if KVLOG_SEEDED_BUG=sync_skips_flush "$checks" --gtest_filter=KvLogSpecTest.RecoversWhatACrashMayLeave \
    >"$log" 2>&1 || ! grep -q 'VIOLATION.*after the crash' "$log"; then
  echo "example: the crash check did not find the seeded bug sync_skips_flush:" >&2
  cat "$log" >&2
  exit 1
fi
echo "example: the crash check found the seeded bug sync_skips_flush"
if ! KVLOG_SEEDED_BUG=sync_skips_flush "$checks" --gtest_filter=KvLogSpecTest.ConformsToModel \
    >"$log" 2>&1; then
  echo "example: without crashes, sync_skips_flush must go unseen:" >&2
  cat "$log" >&2
  exit 1
fi
