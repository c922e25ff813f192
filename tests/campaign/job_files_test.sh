#!/usr/bin/env bash
# The batch-engine job files in campaign/ run shardcheck as their shards: each file's command,
# run here with that engine's index variables set, writes one results file per shard, and the
# shards partition the work — merged, they add up to the unsharded run line for line.
#
#   job_files_test.sh SHARDCHECK REPO
set -uo pipefail
shardcheck="$1"
repo="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
iterations=128

# The command of a Kubernetes or AWS Batch file: its JSON-array "command", as words, with the
# campaign's budget swapped for a small iteration count and /results for a folder here.
command_of() {  # command_of <file> <results dir>
  grep -m 1 -o '"command": *\[[^]]*\]\|command: *\[[^]]*\]' "$1" |
    sed 's/^[^[]*\[//; s/\]$//; s/", *"/\n/g; s/"//g' |
    sed "s|^shardcheck$|$shardcheck|; s|^/results$|$2|" |
    awk -v n="$iterations" 'prev == "--time-budget" { print "1h"; print "--iterations"; print n; prev = ""; next }
                            { print; prev = $0 }'
}
run_words() {  # run_words <file of words> <env assignments...>
  local words=()
  mapfile -t words <"$1"
  shift
  env "$@" "${words[@]}" >>"$work/log" 2>&1
}
totals() { grep -E '^  conformance\[|^    [0-9]+  |^ops:' "$1" | sed 's/ in [0-9]* shards*$//'; }

"$shardcheck" conformance --iterations $iterations --results "$work/whole" >/dev/null 2>&1 ||
  fail "the unsharded run failed"
"$shardcheck" merge "$work/whole" >"$work/whole.txt" 2>&1
totals "$work/whole.txt" >"$work/whole.totals"
[ -s "$work/whole.totals" ] || fail "the unsharded run has no totals"

check() {  # check <name> <results dir> <shard count>
  local count
  count="$(ls "$2"/*.jsonl 2>/dev/null | wc -l)"
  [ "$count" = "$3" ] || fail "$1: $count results files, wanted $3"
  "$shardcheck" merge "$2" >"$work/$1.txt" 2>&1 || fail "$1: merge exited $?: $(head -n 5 "$work/$1.txt")"
  totals "$work/$1.txt" >"$work/$1.totals"
  diff "$work/whole.totals" "$work/$1.totals" >/dev/null ||
    fail "$1: the shards do not partition the run: $(diff "$work/whole.totals" "$work/$1.totals" | head -n 5)"
  echo "$1: $3 shards, merged totals equal the unsharded run's"
}

# Kubernetes: completions shards, JOB_COMPLETION_INDEX, the count from SHARDCHECK_SHARDS.
k8s="$repo/campaign/kubernetes/shardcheck-job.yaml"
grep -q "completionMode: Indexed" "$k8s" || fail "kubernetes: not an Indexed Job"
grep -q "backoffLimitPerIndex:" "$k8s" || fail "kubernetes: no backoffLimitPerIndex"
completions="$(grep -m 1 -o 'completions: [0-9]*' "$k8s" | sed 's/.* //')"
shards="$(grep -A 1 'name: SHARDCHECK_SHARDS' "$k8s" | grep -o '"[0-9]*"' | tr -d '"')"
[ "$completions" = "$shards" ] || fail "kubernetes: $completions completions but SHARDCHECK_SHARDS=$shards"
command_of "$k8s" "$work/k8s" >"$work/k8s.words"
for ((i = 0; i < completions; ++i)); do
  run_words "$work/k8s.words" JOB_COMPLETION_INDEX=$i SHARDCHECK_SHARDS="$shards" ||
    fail "kubernetes: index $i exited $?"
done
check kubernetes "$work/k8s" "$completions"

# AWS Batch: arrayProperties.size shards, AWS_BATCH_JOB_ARRAY_INDEX and _SIZE.
size="$(grep -o '"size": *[0-9]*' "$repo/campaign/aws-batch/submit-job.json" | grep -o '[0-9]*$')"
grep -q "\"AWS_BATCH_JOB_ARRAY_SIZE\", \"value\": \"$size\"" "$repo/campaign/aws-batch/submit-job.json" ||
  fail "aws batch: AWS_BATCH_JOB_ARRAY_SIZE is not the array size $size"
command_of "$repo/campaign/aws-batch/job-definition.json" "$work/aws" >"$work/aws.words"
for ((i = 0; i < size; ++i)); do
  run_words "$work/aws.words" AWS_BATCH_JOB_ARRAY_INDEX=$i AWS_BATCH_JOB_ARRAY_SIZE="$size" ||
    fail "aws batch: index $i exited $?"
done
check aws-batch "$work/aws" "$size"

# Slurm: the sbatch script itself, as each array task runs it.
for i in 0 1 2; do
  SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_COUNT=3 SHARDCHECK="$shardcheck" SUITE=conformance \
    SEED=1 RESULTS="$work/slurm" TIME_BUDGET=1h EXTRA_ARGS="--iterations $iterations" \
    bash "$repo/campaign/slurm/shardcheck.sbatch" >>"$work/log" 2>&1 || fail "slurm: task $i exited $?"
done
check slurm "$work/slurm" 3

# The Dockerfile: Debian 12, and it builds shardcheck.
grep -q "^FROM debian:12" "$repo/campaign/Dockerfile" || fail "the Dockerfile is not Debian 12"
grep -q "target shardcheck" "$repo/campaign/Dockerfile" || fail "the Dockerfile does not build shardcheck"

if [ "$failures" -ne 0 ]; then echo "$failures failure(s)"; tail -n 20 "$work/log"; exit 1; fi
echo "job_files_test: ok"
