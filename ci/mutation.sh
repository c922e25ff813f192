#!/usr/bin/env bash
# Mutation testing (not part of CI; about half an hour): plants each fault of
# ci/mutation/mutants.json in a scratch copy of the engine, rebuilds shardcheck there, runs the
# conformance, crash and concurrency suites on it with a fixed budget, and reports the mutation
# score and the survivors. `bash ci/mutation.sh --help` for the flags; docs/mutation-testing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
exec nice -n 19 python3 ci/mutation/mutate.py "$@"
