#!/usr/bin/env bash
# shardcheck end to end: exit codes (0 pass, 1 violation, 2 bad usage), the JSON contract, and a
# printed replay token that reproduces the violation.
set -uo pipefail
shardcheck="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0

source "$(dirname "$0")/../support/cli_expect.sh"

expect 2 "no suite" "$shardcheck"
expect 2 "unknown suite" "$shardcheck" nosuch
expect 2 "unknown flag" "$shardcheck" conformance --nosuch
expect 2 "bad iterations" "$shardcheck" conformance --iterations zero
expect 2 "unknown bug" "$shardcheck" conformance --bug no_such_bug
expect_in "$work/err" "unknown seeded bug" "unknown bug message"
expect 2 "unknown harness" "$shardcheck" conformance --harness disk
expect 2 "bad token" "$shardcheck" replay ss1:store:-:Y9
expect 2 "a token's value out of range" "$shardcheck" replay ss1:store:-:P0,4294967295,0
expect_in "$work/err" "op 1 'P0,4294967295,0': a value of 4294967295 bytes" "replay says which op is out of range"
expect 2 "a token with too few fields" "$shardcheck" replay ss1:store
expect_in "$work/err" "four fields" "replay says why a token is malformed"
expect 0 "help" "$shardcheck" --help

expect 0 "bugs" "$shardcheck" bugs
expect_in "$work/out" "cache_not_drained_after_reset  functional  " "bugs lists name and class"

expect 0 "clean run" "$shardcheck" conformance --iterations 30 --seed 7 --json
tail -n 1 "$work/out" >"$work/json"
for field in '"result":"pass"' '"seed":7' '"iterations":90' '"shrunk_ops":null' '"replay":null'; do
  expect_in "$work/json" "$field" "clean JSON"
done

expect 1 "seeded bug" "$shardcheck" conformance --iterations 2000 --seed 7 \
  --bug value_split_drops_last_byte --json
tail -n 1 "$work/out" >"$work/json"
for field in '"result":"violation"' '"seed":7' '"shrunk_ops":' '"replay":"shardcheck replay ss1:'; do
  expect_in "$work/json" "$field" "violation JSON"
done
token="$(grep -o '"replay":"shardcheck replay ss1:[^"]*"' "$work/json" | head -n 1 |
  sed 's/^"replay":"shardcheck replay //; s/"$//')"
expect 1 "replay reproduces" "$shardcheck" replay "$token"
expect_in "$work/out" "violation at" "replay prints the violation"

expect 0 "crash explorer, clean" "$shardcheck" crash --iterations 15 --seed 7 --json
tail -n 1 "$work/out" >"$work/json"
expect_in "$work/json" '"suite":"crash"' "crash JSON"
expect_in "$work/json" '"result":"pass"' "crash JSON"
expect 1 "crash explorer, seeded bug" "$shardcheck" crash --iterations 2000 --seed 7 \
  --harness store --bug delete_acknowledged_before_tombstone --json
tail -n 1 "$work/out" >"$work/json"
expect_in "$work/json" '"result":"violation"' "crash violation JSON"
expect 2 "crash refuses the index harness" "$shardcheck" crash --harness index
token="$(grep -o '"replay":"shardcheck replay ss1:[^"]*"' "$work/json" | head -n 1 |
  sed 's/^"replay":"shardcheck replay //; s/"$//')"
expect 1 "crash replay reproduces" "$shardcheck" replay "$token"
expect_in "$work/out" "DirtyReboot" "the replayed case holds the power cut"


# linearize: a recorded history in, exit 0 / 1 / 2.
cat >"$work/good.jsonl" <<'JSONL'
{"process":0,"type":"invoke","f":"write","key":"x","value":1}
{"process":1,"type":"invoke","f":"read","key":"x","value":null}
{"process":0,"type":"ok","f":"write","key":"x","value":1}
{"process":1,"type":"ok","f":"read","key":"x","value":1}
{"process":2,"type":"invoke","f":"cas","key":"x","value":[1,2]}
{"process":2,"type":"info","f":"cas","key":"x","value":[1,2]}
JSONL
cat >"$work/bad.jsonl" <<'JSONL'
{"process":0,"type":"invoke","f":"write","key":"x","value":1}
{"process":0,"type":"ok","f":"write","key":"x","value":1}
{"process":1,"type":"invoke","f":"read","key":"x","value":null}
{"process":1,"type":"ok","f":"read","key":"x","value":null}
JSONL
expect 0 "linearize, linearizable" "$shardcheck" linearize "$work/good.jsonl" --model kv --json
expect_in "$work/out" '"result":"pass"' "linearize JSON"
expect 1 "linearize, not linearizable" "$shardcheck" linearize "$work/bad.jsonl" --model register
expect_in "$work/out" 'minimal non-linearizable sub-history' "linearize report"
echo '{"process":0,"type":"ok","f":"read"}' >"$work/broken.jsonl"
expect 2 "linearize, bad input" "$shardcheck" linearize "$work/broken.jsonl"
expect 2 "linearize, unknown model" "$shardcheck" linearize "$work/good.jsonl" --model queue
expect 2 "linearize, missing file" "$shardcheck" linearize "$work/none.jsonl"
expect 2 "linearize, a directory" "$shardcheck" linearize "$work"
: >"$work/empty.jsonl"
expect 2 "linearize, no events" "$shardcheck" linearize "$work/empty.jsonl"
head -n 4 "$work/good.jsonl" | sed 's/"value"/"valeu"/' >"$work/misspelt.jsonl"
expect 2 "linearize, an unknown field" "$shardcheck" linearize "$work/misspelt.jsonl"
expect_in "$work/err" 'unknown field "valeu"' "linearize names the unknown field"
expect 0 "linearize, lenient" "$shardcheck" linearize "$work/misspelt.jsonl" --lenient
expect 3 "linearize, out of budget" "$shardcheck" linearize "$work/bad.jsonl" --model register \
  --states-max 1 --json
expect_in "$work/out" '"result":"unknown"' "linearize says unknown when its budget runs out"
expect 2 "linearize, bad time budget" "$shardcheck" linearize "$work/good.jsonl" --time-budget x

# concurrency: the store under the deterministic scheduler.
expect 0 "concurrency, clean" "$shardcheck" concurrency --iterations 100 --seed 1 --json
expect_in "$work/out" '"suite":"concurrency"' "concurrency JSON"
expect_in "$work/out" '"harness":"list-delete"' "concurrency runs every harness"
expect 0 "concurrency, one harness, dfs" "$shardcheck" concurrency --harness reclaim-compact \
  --strategy dfs --depth 1 --iterations 100
# A systematic search writes the records a campaign writes: --results (merge reads it), --junit.
expect 0 "concurrency, dfs, --results and --junit" "$shardcheck" concurrency \
  --harness reclaim-compact --strategy dfs --depth 1 --iterations 20 --results "$work/dfs" \
  --junit "$work/dfs.xml" --json
expect_in "$work/out" '"record":"summary"' "dfs JSON holds the summary record"
expect_in "$work/dfs.xml" '<testcase name="reclaim-compact"' "dfs JUnit has the harness"
expect 0 "merge a dfs results file" "$shardcheck" merge "$work/dfs"
expect_in "$work/out" "concurrency[reclaim-compact]: 20 schedules" "merge reads the dfs run"
expect 2 "concurrency, unknown strategy" "$shardcheck" concurrency --strategy fifo
expect 2 "concurrency, unknown harness" "$shardcheck" concurrency --harness queue
expect 2 "concurrency, bad schedule" "$shardcheck" concurrency --harness clients --schedule 'sched1:x'
expect 2 "concurrency, schedule without a harness" "$shardcheck" concurrency --schedule 'sched1:0'
expect 2 "concurrency, bad time budget" "$shardcheck" concurrency --time-budget 10x
expect 0 "concurrency, time budget" "$shardcheck" concurrency --time-budget 2s --iterations 100000 --json
expect_in "$work/out" '"budget_spent":true' "concurrency stops when the budget is spent"
expect 0 "concurrency, iterative preemption bounding" "$shardcheck" concurrency \
  --harness list-delete --strategy ipb --depth 1 --iterations 50
expect 0 "concurrency, delay bounding" "$shardcheck" concurrency --harness clients \
  --strategy delay --depth 1 --iterations 50
if "$shardcheck" bugs | grep -q list_snapshots_runs_and_memtable_apart && "$shardcheck" bugs --json | grep -q '"compiled_in":true'; then
  expect 1 "concurrency, seeded bug" "$shardcheck" concurrency --iterations 2000 --seed 1 \
    --bug list_snapshots_runs_and_memtable_apart --json
  expect_in "$work/out" '"kind":"linearizability"' "concurrency names the failure's kind"
  harness="$(grep -o '"failures":\[{"harness":"[a-z-]*"' "$work/out" | sed 's/.*"harness":"//; s/"$//')"
  case "$harness" in clients|list-delete) ;; *) echo "FAIL: failing harness '$harness'"; failures=$((failures + 1)) ;; esac
  schedule="$(grep -o '"schedule":"sched1:[^"]*"' "$work/out" | head -n 1 | sed 's/^"schedule":"//; s/"$//')"
  program="$(grep -o '"program_seed":[0-9]*' "$work/out" | head -n 1 | sed 's/^"program_seed"://')"
  expect 1 "concurrency replay reproduces" "$shardcheck" concurrency --program-seed "$program" \
    --harness "$harness" --bug list_snapshots_runs_and_memtable_apart --schedule "$schedule"
  expect 0 "concurrency replay, bug off" "$shardcheck" concurrency --program-seed "$program" \
    --harness "$harness" --schedule "$schedule"
fi

if "$shardcheck" bugs | grep -q get_reserves_read_buffer_per_part && "$shardcheck" bugs --json | grep -q '"compiled_in":true'; then
  expect 1 "concurrency dfs, seeded deadlock" "$shardcheck" concurrency --harness readers-reset \
    --bug get_reserves_read_buffer_per_part --strategy dfs --depth 1 --iterations 20000 --json \
    --junit "$work/deadlock.xml" --report "$work/deadlock.html"
  expect_in "$work/out" '"record":"finding"' "dfs JSON holds the finding record"
  expect_in "$work/out" '"kind":"deadlock"' "dfs names the kind"
  expect_in "$work/deadlock.xml" '<failure message="every fiber left is blocked' "JUnit carries the deadlock"
  expect_in "$work/deadlock.html" 'data-kind="concurrency"' "the report is a concurrency page"
  expect_in "$work/deadlock.html" 'deadlock at step' "the report draws the deadlock"
fi

if [ "$failures" -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "shardcheck_test: ok"
