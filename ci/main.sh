#!/usr/bin/env bash
# The main job: install dependencies, build the release preset (the checked build), run the
# checkers against the engine on its in-memory disk (conformance, crash exploration, the
# deterministic scheduler, power cuts under it); then build the production preset (the product:
# the checkers' hooks compiled out), check that its tool carries none of them, and run the
# product's self-demo on an in-memory disk and on a file image.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --parallel 2
./build/release/checker/shardcheck conformance --iterations 10000 --max-ops 100 --seed 1
./build/release/checker/shardcheck crash --iterations 300 --seed 1
./build/release/checker/shardcheck concurrency --iterations 10000 --seed 1
./build/release/checker/shardcheck crash-concurrency --iterations 2000 --seed 1
cmake --preset production >/dev/null
cmake --build --preset production --parallel 2
ctest --preset production
./build/production/shardstore/shardstore demo
