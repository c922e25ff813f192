#!/usr/bin/env bash
# shardcheck crash-concurrency end to end: exit codes (0 pass, 1 violation, 2 bad usage), the
# JSON contract, the campaign flags every suite takes (--shard, --results, merge, --jobs,
# --junit, --report), and a replay token (sx1:) that reproduces the violation and passes with the
# bug off.
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
expect 2 "dfs does not shard" "$shardcheck" crash-concurrency --strategy dfs --shard 0/2
expect 2 "no swarm here" "$shardcheck" crash-concurrency --swarm on

# Shards: two halves add up to the whole run, and merge reads them as any suite's.
expect 0 "shard 0 of 2" "$shardcheck" crash-concurrency --iterations 64 --seed 3 --shard 0/2 \
  --results "$work/results"
expect 0 "shard 1 of 2" "$shardcheck" crash-concurrency --iterations 64 --seed 3 --shard 1/2 \
  --results "$work/results"
[ -f "$work/results/crash-concurrency-shard-1-of-2.jsonl" ] ||
  { echo "FAIL: no results file for shard 1"; failures=$((failures + 1)); }
expect 0 "merge the shards" "$shardcheck" merge "$work/results" --junit "$work/merge.xml"
expect_in "$work/out" "crash-concurrency[chunk-writers]: 64 schedules" "the shards add up per harness"
expect_in "$work/merge.xml" '<testsuite name="crash-concurrency"' "merge's JUnit names the suite"
expect 0 "--jobs 2" "$shardcheck" crash-concurrency --iterations 64 --seed 3 --jobs 2 --json
expect_in "$work/err" "merged 2 results files" "--jobs merges its shards"
expect_in "$work/err" "crash-concurrency[reclaim-compact]: 64 schedules" "--jobs runs every schedule"
expect 0 "clean, --junit" "$shardcheck" crash-concurrency --iterations 32 --junit "$work/clean.xml"
expect_in "$work/clean.xml" '<testcase name="clients"' "a test case per harness"
if grep -q '<failure' "$work/clean.xml"; then
  echo "FAIL: a clean run's JUnit has a failure"; failures=$((failures + 1))
fi

if "$shardcheck" bugs | grep -q commit_listed_before_written; then
  expect 1 "a joint seeded bug" "$shardcheck" crash-concurrency --harness chunk-writers \
    --strategy random --iterations 3000 --seed 1 --bug commit_listed_before_written --json \
    --junit "$work/bug.xml" --results "$work/bug-results"
  expect_in "$work/out" '"kind":"crash-consistency"' "JSON gives the kind"
  expect_in "$work/out" '"minimized":{' "JSON gives the minimized size"
  expect_in "$work/out" '"record":"finding"' "JSON holds the finding record"
  expect_in "$work/out" '"power_cut":{' "the record holds the power cut"
  expect_in "$work/bug.xml" '<failure message=' "JUnit carries the failure"
  expect_in "$work/bug.xml" 'shardcheck replay sx1:' "JUnit carries the replay command"
  expect_in "$work/bug-results/crash-concurrency-shard-0-of-1.jsonl" '"token":"sx1:' \
    "the results file holds the finding"
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
    expect 1 "replay --junit" "$shardcheck" replay "$token" --junit "$work/replay.xml"
    expect_in "$work/replay.xml" '<failure message=' "the replay's JUnit carries the failure"
    expect 0 "replay --junit, bug off" "$shardcheck" replay "$off" --junit "$work/off.xml"
    if grep -q '<failure' "$work/off.xml"; then
      echo "FAIL: a passing replay's JUnit has a failure"; failures=$((failures + 1))
    fi
  fi
fi

if [ "$failures" -gt 0 ]; then echo "$failures failures"; exit 1; fi
echo "all passed"
