#!/usr/bin/env bash
# Every test CI runs: install dependencies, build with ASan+UBSan (debug preset), run every test
# except those labelled `slow`. Long randomized runs: `ctest --preset debug -L slow`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/install-deps.sh
cmake --preset debug >/dev/null
cmake --build --preset debug --parallel 2
ctest --preset debug
# Every fuzz target for a short fixed time (clang, libFuzzer, ASan+UBSan).
bash ci/fuzz-smoke.sh
