#!/usr/bin/env bash
# The cost of the checkers' hooks in the engine: the same in-memory workload
# (store_ops_in_memory) from a checked build (seeded-bug sites and coverage points compiled in)
# and from a production build (compiled out), alternately, in one run on one machine. Prints each
# round and the ratio of the medians (checked / production ops per second; 1.0 = free).
#
#   bench/hooks_cost.sh [CHECKED_BUILD_DIR] [PRODUCTION_BUILD_DIR] [ROUNDS] [-- workload flags]
#   defaults: build/release build/production 5
set -euo pipefail
checked=${1:-build/release}
production=${2:-build/production}
rounds=${3:-5}
shift $(( $# < 3 ? $# : 3 ))
[ "${1:-}" = "--" ] && shift
for dir in "$checked" "$production"; do
  if [ ! -x "$dir/bench/store_ops_in_memory" ]; then
    echo "hooks_cost: no $dir/bench/store_ops_in_memory (build that preset first)" >&2
    exit 2
  fi
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
c=(); p=()
for ((i = 1; i <= rounds; ++i)); do
  c+=("$("$checked/bench/store_ops_in_memory" "$@" | awk '{print $1}')")
  p+=("$("$production/bench/store_ops_in_memory" "$@" | awk '{print $1}')")
  echo "round $i: checked ${c[-1]} ops/s, production ${p[-1]} ops/s"
done
cm=$(printf '%s\n' "${c[@]}" | median)
pm=$(printf '%s\n' "${p[@]}" | median)
awk -v c="$cm" -v p="$pm" 'BEGIN {printf "median: checked %.0f ops/s, production %.0f ops/s; checked/production = %.3f\n", c, p, c / p}'
