#!/usr/bin/env bash
# Every test CI runs: install dependencies, build with ASan+UBSan (debug preset), run every test
# except those labelled `slow`, build and check the example project against the installed
# package, then a campaign on a real Slurm (ci/slurm.sh). Long randomized
# runs: `ctest --preset debug -L slow`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/install-deps.sh
cmake --preset debug >/dev/null
cmake --build --preset debug --parallel 2
ctest --preset debug
# The installed package, used from outside the tree: examples/kvlog built against it, its checks
# passing on the clean component and each finding its seeded bug.
bash ci/example.sh build/debug
# A real single-node Slurm runs 4-shard arrays of every suite and merges them (skips, saying
# why, only where Slurm cannot start).
bash ci/slurm.sh build/debug/checker/shardcheck
# Every fuzz target for a short fixed time (clang, libFuzzer, ASan+UBSan).
bash ci/fuzz-smoke.sh
