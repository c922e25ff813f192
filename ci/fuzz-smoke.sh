#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for a short fixed time (FUZZ_SECONDS,
# default 20) from the seed corpora made at build time. Fails on any crash, leak or timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-20}"
cmake --preset fuzz >/dev/null
targets="chunk_frame superblock index roundtrip recovery"
# Only the fuzz targets and their corpora: the checkers and tools are built (and tested) by the
# debug build.
cmake --build --preset fuzz --parallel 2 --target fuzz_corpus $(printf '%s_fuzz ' $targets)
bin=build/fuzz/fuzz
for target in $targets; do
  work="$(mktemp -d)"
  cp -r "$bin/corpus/$target/." "$work/"
  log="$work.log"
  if ! "$bin/${target}_fuzz" -max_total_time="$seconds" -max_len=800000 -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 "$work" >"$log" 2>&1; then
    echo "fuzz: ${target} FAILED; the last lines of its log:"
    tail -n 60 "$log"
    exit 1
  fi
  cov="$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)"
  execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')"
  rate="$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$')"
  echo "fuzz: ${target}: ok, ${execs} runs in ${seconds}s (${rate}/s), ${cov} edges"
  rm -rf "$work" "$log"
done
