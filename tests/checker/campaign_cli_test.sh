#!/usr/bin/env bash
# shardcheck campaigns end to end: shards from flags and batch-engine variables, results files,
# merge (totals, dedup, exit codes, bad input named), --jobs.
set -uo pipefail
shardcheck="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0

source "$(dirname "$0")/../support/cli_expect.sh"
field() {  # field <file> <"key"> : the first number after "key": in the file's last line
  tail -n 1 "$1" | grep -o "\"$2\":[0-9]*" | head -n 1 | sed 's/.*://'
}

# Bad usage.
expect 2 "a shard out of range" "$shardcheck" conformance --shard 4/4
expect_in "$work/err" "--shard takes I/N" "the shard error says what it takes"
expect 2 "a malformed shard" "$shardcheck" conformance --shard one/4
expect 2 "an index without a count" env JOB_COMPLETION_INDEX=1 "$shardcheck" conformance
expect_in "$work/err" "SHARDCHECK_SHARDS" "the error names where the count comes from"
expect 2 "--jobs with --shard" "$shardcheck" conformance --jobs 2 --shard 0/2
expect 2 "dfs does not shard" "$shardcheck" concurrency --strategy dfs --shard 0/2
expect 2 "merge of nothing there" "$shardcheck" merge "$work/nothing"

# Each batch engine's variables name the shard (and so its results file).
iterations=128
expect 0 "slurm" env SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=4 \
  "$shardcheck" conformance --iterations $iterations --results "$work/env"
expect 0 "kubernetes" env JOB_COMPLETION_INDEX=2 SHARDCHECK_SHARDS=4 \
  "$shardcheck" conformance --iterations $iterations --results "$work/env"
expect 0 "aws batch" env AWS_BATCH_JOB_ARRAY_INDEX=3 AWS_BATCH_JOB_ARRAY_SIZE=4 \
  "$shardcheck" conformance --iterations $iterations --results "$work/env"
expect 0 "a flag" "$shardcheck" conformance --iterations $iterations --shard 0/4 --results "$work/env"
for i in 0 1 2 3; do
  [ -f "$work/env/conformance-shard-$i-of-4.jsonl" ] ||
    { echo "FAIL: no results file for shard $i"; failures=$((failures + 1)); }
done

# The four shards merge to the unsharded run's totals and coverage, line for line.
expect 0 "unsharded" "$shardcheck" conformance --iterations $iterations --results "$work/whole"
totals() {  # the merged report's totals and coverage lines, without shard counts
  grep -E '^  conformance\[|^    [0-9]+  |^ops:' "$1" | sed 's/ in [0-9]* shards*$//'
}
expect 0 "merge the unsharded run" "$shardcheck" merge "$work/whole"
totals "$work/out" >"$work/whole.totals"
expect 0 "merge four shards" "$shardcheck" merge "$work/env"
totals "$work/out" >"$work/shards.totals"
if [ ! -s "$work/whole.totals" ] || ! diff "$work/whole.totals" "$work/shards.totals"; then
  echo "FAIL: four shards do not add up to the unsharded run"; failures=$((failures + 1))
fi
expect_in "$work/whole.totals" "conformance[store]: $iterations sequences" "the totals are there"
expect 0 "merge four shards, JSON" "$shardcheck" merge "$work/env" --json
expect_in "$work/out" '"result":"pass"' "a clean merge passes"

# --jobs runs the shards here and merges them.
expect 0 "--jobs 2" "$shardcheck" conformance --iterations $iterations --jobs 2 --results "$work/jobs"
expect_in "$work/out" "merged 2 results files" "--jobs merges its shards"
[ -f "$work/jobs/conformance-shard-1-of-2.jsonl" ] ||
  { echo "FAIL: --jobs left no results file"; failures=$((failures + 1)); }

expect 0 "--jobs 2 with a time budget alone" "$shardcheck" conformance --jobs 2 --time-budget 1s
expect_in "$work/out" "merged 2 results files" "--jobs with a time budget merges its shards"

# 20 shards of a seeded bug: one signature, hit by every shard that found it.
if "$shardcheck" bugs --json | grep -q '"compiled_in":true'; then
  for i in $(seq 0 19); do
    "$shardcheck" conformance --bug value_split_drops_last_byte --iterations 2560 --seed 3 \
      --shard "$i/20" --results "$work/bug" >/dev/null 2>&1
    [ $? = 1 ] || { echo "FAIL: shard $i/20 did not find the bug"; failures=$((failures + 1)); }
  done
  expect 1 "merge of a bug's shards" "$shardcheck" merge "$work/bug" --json
  expect_in "$work/err" "1 distinct finding" "20 shards, one signature"
  expect_in "$work/out" '"shards_hit":20' "the merged finding counts the shards"
  # A finding record alone: its replay command reproduces the violation.
  replay="$(grep -m 1 -o '"replay":"shardcheck replay [^"]*"' "$work/bug/conformance-shard-7-of-20.jsonl" |
    sed 's/^"replay":"shardcheck replay //; s/"$//')"
  expect 1 "a finding record's replay" "$shardcheck" replay "$replay"
fi

# Bad input to merge: named, exit 2, never a crash.
good="$work/env/conformance-shard-0-of-4.jsonl"
: >"$work/empty.jsonl"
expect 2 "an empty file" "$shardcheck" merge "$work/empty.jsonl"
expect_in "$work/out" "empty" "merge says the file is empty"
head -n 1 "$good" >"$work/truncated.jsonl"
expect 2 "a file without its summary" "$shardcheck" merge "$work/truncated.jsonl"
expect_in "$work/out" "no summary record" "merge says the shard did not finish"
head -c 100 "$good" >"$work/cut.jsonl"
expect 2 "a file cut mid-line" "$shardcheck" merge "$work/cut.jsonl"
expect_in "$work/out" "truncated" "merge says the file is truncated"
printf 'hello\n' >"$work/foreign.jsonl"
expect 2 "a foreign file" "$shardcheck" merge "$work/foreign.jsonl"
expect_in "$work/out" "not a shardcheck results file" "merge names a foreign file"
sed 's/"schema":1/"schema":99/' "$good" >"$work/future.jsonl"
expect 2 "a newer schema" "$shardcheck" merge "$work/future.jsonl"
expect_in "$work/out" "schema 99" "merge names the schema"
mkdir -p "$work/mixed"
cp "$good" "$work/mixed/a.jsonl"
sed 's/"commit":"[^"]*"/"commit":"0123abc"/g' "$work/env/conformance-shard-1-of-4.jsonl" \
  >"$work/mixed/b.jsonl"
expect 2 "mixed commits" "$shardcheck" merge "$work/mixed"
expect_in "$work/out" "different commits" "merge names mixed commits"
expect 0 "mixed commits, allowed" "$shardcheck" merge "$work/mixed" --allow-mixed-commits
expect_in "$work/out" "warning: shards of different commits" "allowed mixed commits warn"
expect 0 "the same shard twice" "$shardcheck" merge "$good" "$good"
expect_in "$work/out" "counted once" "a repeated shard is counted once"

if [ "$failures" -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "campaign_cli_test: ok"
