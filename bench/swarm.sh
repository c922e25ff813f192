#!/usr/bin/env bash
# Swarm testing on and off: for every seeded bug of the conformance and crash suites, over 20
# campaign seeds, the sequences and seconds each run needed to find it (the finding record's
# found_after; minimizing is off, it is not part of finding), with --swarm on and off. Prints a
# Markdown table: bug, suite, then per mode how many seeds found it within the budget, the
# median sequences (over the seeds that found it) and the median seconds (a miss counts as the
# budget). The concurrency suite draws programs, not op sequences: swarm does not apply.
#
#   bash bench/swarm.sh [SHARDCHECK] [SEEDS] [BUDGET]   (defaults: release build, 20, 20s)
set -uo pipefail
shardcheck="${1:-build/release/checker/shardcheck}"
seeds="${2:-20}"
budget="${3:-20s}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else print v[int((NR + 1) / 2)] }'; }

echo "| bug | suite | swarm off: found | seqs (median) | s (median) | swarm on: found | seqs (median) | s (median) |"
echo "|---|---|---|---|---|---|---|---|"
"$shardcheck" bugs | while read -r bug class _; do
  case "$class" in functional) suite=conformance ;; crash) suite=crash ;; *) continue ;; esac
  row="| $bug | $suite"
  for mode in off on; do
    : >"$work/seqs"; : >"$work/secs"
    found=0
    for seed in $(seq 1 "$seeds"); do
      "$shardcheck" "$suite" --bug "$bug" --seed "$seed" --swarm "$mode" --time-budget "$budget" \
        --determinism-check-every 0 --minimize off --json >"$work/out" 2>/dev/null
      line="$(tail -n 1 "$work/out")"
      if echo "$line" | grep -q '"result":"violation"'; then
        found=$((found + 1))
        echo "$line" | grep -o '"found_after":{[^}]*}' | head -n 1 |
          sed -E 's/.*"seconds":([0-9.e+-]+).*/\1/' >>"$work/secs"
        echo "$line" | grep -o '"found_after":{[^}]*}' | head -n 1 |
          sed -E 's/.*"sequences":([0-9]+).*/\1/' >>"$work/seqs"
      else
        echo "${budget%s}" >>"$work/secs"
      fi
    done
    row="$row | $found/$seeds | $(median <"$work/seqs") | $(median <"$work/secs" | xargs printf '%.2f')"
  done
  echo "$row |"
done
