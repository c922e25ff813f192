#!/usr/bin/env bash
# Long fuzzing for batch machines: each target for FUZZ_SECONDS (default 3600), one job per core,
# growing a corpus under build/fuzz/corpus-long/<target> that is merged with the seed corpus
# (and kept between runs). Crashes land in build/fuzz/crashes/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-3600}"
jobs="${FUZZ_JOBS:-$(nproc)}"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --parallel "$jobs"
bin=build/fuzz/fuzz
status=0
for target in chunk_frame superblock index roundtrip recovery; do
  corpus="build/fuzz/corpus-long/$target"
  crashes="build/fuzz/crashes/$target"
  mkdir -p "$corpus" "$crashes"
  "$bin/${target}_fuzz" -merge=1 "$corpus" "$bin/corpus/$target" >/dev/null 2>&1
  if ! "$bin/${target}_fuzz" -max_total_time="$seconds" -max_len=800000 -timeout=10 \
      -rss_limit_mb=4096 -jobs="$jobs" -workers="$jobs" -artifact_prefix="$crashes/" \
      -print_final_stats=1 "$corpus" >"build/fuzz/$target.long.log" 2>&1; then
    echo "fuzz-long: $target found a problem: see build/fuzz/$target.long.log and $crashes"
    status=1
  fi
  echo "fuzz-long: $target: $(grep -o 'cov: [0-9]*' "build/fuzz/$target.long.log" | tail -n 1)"
done
exit "$status"
