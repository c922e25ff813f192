#!/usr/bin/env bash
# shardcheck crash-concurrency end to end: exit codes (0 pass, 1 violation, 2 bad usage), the
# JSON contract, and a replay token (sx1:) that reproduces the violation and passes with the bug
# off.
set -uo pipefail
shardcheck="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0

source "$(dirname "$0")/../support/cli_expect.sh"

expect 2 "unknown harness" "$shardcheck" crash-concurrency --harness disk
expect 2 "unknown strategy" "$shardcheck" crash-concurrency --strategy nosuch
expect 2 "unknown bug" "$shardcheck" crash-concurrency --bug no_such_bug
expect 2 "bad time budget" "$shardcheck" crash-concurrency --time-budget soon
expect 2 "bad token" "$shardcheck" replay sx1:clients:-:Z9
expect_in "$work/err" "not a valid replay token" "replay says the token is bad"

expect 0 "the clean engine" "$shardcheck" crash-concurrency --iterations 100 --seed 1 --json
expect_in "$work/out" '"suite":"crash-concurrency"' "JSON names the suite"
expect_in "$work/out" '"result":"pass"' "JSON says pass"
expect_in "$work/out" '"iterations":300' "100 schedules for each of three harnesses"
expect 0 "dfs" "$shardcheck" crash-concurrency --harness chunk-writers --strategy dfs --depth 1 \
  --iterations 50

if "$shardcheck" bugs | grep -q commit_listed_before_written; then
  expect 1 "a joint seeded bug" "$shardcheck" crash-concurrency --harness chunk-writers \
    --strategy random --iterations 3000 --seed 1 --bug commit_listed_before_written --json
  expect_in "$work/out" '"kind":"crash-consistency"' "JSON gives the kind"
  expect_in "$work/out" '"minimized":{' "JSON gives the minimized size"
  token=$(tail -n 1 "$work/out" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
  if [ -z "$token" ]; then
    echo "FAIL: no token in the JSON"; failures=$((failures + 1))
  else
    expect 1 "the token replays the violation" "$shardcheck" replay "$token"
    expect_in "$work/out" "crash-consistency" "the replay fails the same way"
    off=$(echo "$token" | sed -E 's/^(sx1:[a-z-]+:)[a-z_]+:/\1-:/')
    expect 0 "the same case passes with the bug off" "$shardcheck" replay "$off"
    expect 1 "replay --json" "$shardcheck" replay "$token" --json
    expect_in "$work/out" '"result":"violation"' "replay JSON says violation"
  fi
fi

if [ "$failures" -gt 0 ]; then echo "$failures failures"; exit 1; fi
echo "all passed"
