#!/usr/bin/env bash
# Proves the fuzzing set-up catches crashes: the canary target has a planted out-of-bounds read
# behind a 4-byte magic. Passes when libFuzzer finds it within FUZZ_SECONDS (default 120) from
# an empty corpus. Kept out of CI on purpose: it must crash.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target canary_fuzz
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if build/fuzz/fuzz/canary_fuzz -max_total_time="${FUZZ_SECONDS:-120}" \
    -artifact_prefix="$work/" "$work" >"$work/log" 2>&1; then
  echo "fuzz-canary: FAILED: the planted crash was not found"; exit 1
fi
grep -q "AddressSanitizer" "$work/log" || { echo "fuzz-canary: FAILED: no sanitizer report"; tail "$work/log"; exit 1; }
echo "fuzz-canary: ok: the planted crash was found ($(grep -o '#[0-9]*' "$work/log" | tail -n 1) runs)"
