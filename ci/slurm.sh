#!/usr/bin/env bash
# A real Slurm on this one machine: installs Debian's slurm-wlm and munge, writes a single-node
# configuration, starts munged, slurmctld and slurmd, submits an `sbatch --array` of 4 shards of
# each suite (campaign/slurm/shardcheck.sbatch) and a seeded-bug campaign, waits, merges, checks
# the merged totals equal the sum of the shards and that the seeded bug dedups to one signature,
# and stops the daemons it started.
#
#   bash ci/slurm.sh [SHARDCHECK]    (default build/release/checker/shardcheck; needs root)
#
# Exit 0 when the checks pass, or when Slurm cannot start here (it says so: "SKIP: ..."); 1
# when a check fails.
set -uo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
shardcheck="$(realpath "${1:-build/release/checker/shardcheck}")"
work="$(mktemp -d /tmp/shardcheck-slurm.XXXXXX)"
chmod 755 "$work"
started=()
failures=0
keep_logs=1  # until every check passed

skip() { echo "SKIP: Slurm cannot start here: $*"; keep_logs=0; exit 0; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
cleanup() {
  if [ -n "${SLURM_CONF:-}" ] && [ -f "$SLURM_CONF" ]; then
    scontrol shutdown >/dev/null 2>&1 || true
  fi
  for pidfile in "${started[@]}"; do
    [ -f "$pidfile" ] || continue
    pid="$(cat "$pidfile")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  started=()
  if [ "$keep_logs" = 0 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

[ -x "$shardcheck" ] || { echo "FAIL: no shardcheck at $shardcheck"; exit 1; }
[ "$(id -u)" = 0 ] || skip "not root (slurmd and munged need it)"
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends slurm-wlm munge; } \
    >"$work/apt.log" 2>&1 || skip "apt-get could not install slurm-wlm and munge (see $work/apt.log)"
fi

# munge: its own key and socket in $work, run as the munge user.
mkdir -p "$work/munge" "$work/munge-run"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chown -R munge:munge "$work/munge" "$work/munge-run"
chmod 700 "$work/munge"
chmod 755 "$work/munge-run"
chmod 400 "$work/munge/munge.key"
socket="$work/munge-run/munge.socket"
runuser -u munge -- munged --key-file="$work/munge/munge.key" --socket="$socket" \
  --pid-file="$work/munge-run/munged.pid" --log-file="$work/munge/munged.log" \
  --seed-file="$work/munge/munged.seed" >"$work/munged.out" 2>&1 ||
  skip "munged did not start: $(tail -n 2 "$work/munged.out" "$work/munge/munged.log" 2>/dev/null)"
started+=("$work/munge-run/munged.pid")

host="$(hostname -s)"
cpus="$(nproc)"
memory_mib="$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)"
mkdir -p "$work/state" "$work/spool" "$work/results"
export SLURM_CONF="$work/slurm.conf"
cat >"$SLURM_CONF" <<CONF
ClusterName=shardcheck
SlurmctldHost=$host
AuthType=auth/munge
CryptoType=crypto/munge
AuthInfo=socket=$socket
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
NodeName=$host CPUs=$cpus RealMemory=$memory_mib State=UNKNOWN
PartitionName=campaign Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

slurmctld -f "$SLURM_CONF" >"$work/slurmctld.out" 2>&1 ||
  skip "slurmctld did not start: $(tail -n 3 "$work/slurmctld.out" "$work/slurmctld.log" 2>/dev/null)"
started+=("$work/slurmctld.pid")
slurmd -f "$SLURM_CONF" >"$work/slurmd.out" 2>&1 ||
  skip "slurmd did not start: $(tail -n 3 "$work/slurmd.out" "$work/slurmd.log" 2>/dev/null)"
started+=("$work/slurmd.pid")
for _ in $(seq 60); do
  state="$(sinfo -h -N -o %t 2>/dev/null | head -n 1)"
  case "$state" in idle|mix|alloc) break ;; esac
  sleep 0.5
done
case "$state" in
  idle|mix|alloc) echo "slurm: node $host is $state ($cpus CPUs)" ;;
  *) skip "the node never came up (state '$state'): $(tail -n 3 "$work/slurmd.log" 2>/dev/null)" ;;
esac

# One array of 4 shards: SUITE, ITERATIONS, RESULTS, EXTRA_ARGS go to the job file.
submit() {  # submit <suite> <iterations> <results dir> [extra args]
  SHARDCHECK="$shardcheck" SUITE="$1" RESULTS="$3" TIME_BUDGET=120s \
    EXTRA_ARGS="--iterations $2 ${4:-}" \
    timeout 170 sbatch --parsable --wait --array=0-3 --chdir="$work" \
    --output="$work/%x-$1-%a.log" "$repo/campaign/slurm/shardcheck.sbatch" >"$work/sbatch-$1.out" 2>&1
}
pids=()
submit conformance 256 "$work/results" & pids+=($!)
submit crash 128 "$work/results" & pids+=($!)
submit concurrency 128 "$work/results" & pids+=($!)
for pid in "${pids[@]}"; do wait "$pid" || fail "an sbatch array failed: $(cat "$work"/sbatch-*.out)"; done
seeded=0
if "$shardcheck" bugs --json | grep -q '"compiled_in":true'; then
  seeded=1
  SHARDCHECK="$shardcheck" SUITE=conformance RESULTS="$work/bug" TIME_BUDGET=120s \
    EXTRA_ARGS="--iterations 512 --bug value_split_drops_last_byte" \
    timeout 170 sbatch --parsable --wait --array=0-3 --chdir="$work" \
    --output="$work/%x-bug-%a.log" "$repo/campaign/slurm/shardcheck.sbatch" \
    >"$work/sbatch-bug.out" 2>&1 || fail "the seeded-bug array failed: $(cat "$work/sbatch-bug.out")"
fi

# The merge: clean, every suite's 4 shards there, totals = the sum of the shards' own totals.
"$shardcheck" merge "$work/results" >"$work/merged.txt" 2>&1
rc=$?
[ "$rc" = 0 ] || fail "merge of the clean campaign exited $rc: $(head -n 20 "$work/merged.txt")"
grep -q "merged 12 results files" "$work/merged.txt" || fail "not 12 results files: $(head -n 3 "$work/merged.txt")"
lines() { grep -E '^  (conformance|crash|concurrency)\[' "$1" | sed 's/ in [0-9]* shards*$//'; }
: >"$work/shards.txt"
for file in "$work"/results/*.jsonl; do
  "$shardcheck" merge "$file" >"$work/one.txt" 2>&1 || fail "merge of $file alone failed"
  lines "$work/one.txt" >>"$work/shards.txt"
done
# Sum each harness's numbers over the shards, in the merged report's format.
awk '{
  key = $1; for (i = 2; i <= NF; ++i) if ($i ~ /^[0-9]+,?$/) { sum[key, i] += $i; n[key] = NF }
  words[key] = $0
} END {
  for (key in n) {
    split(words[key], w, " "); line = "  " key
    for (i = 2; i <= n[key]; ++i) line = line " " (((key, i) in sum) ? sum[key, i] (w[i] ~ /,$/ ? "," : "") : w[i])
    print line
  }
}' "$work/shards.txt" | sort >"$work/summed.txt"
lines "$work/merged.txt" | sort >"$work/merged-lines.txt"
if ! diff "$work/summed.txt" "$work/merged-lines.txt" >"$work/diff.txt"; then
  fail "merged totals are not the sum of the shards: $(cat "$work/diff.txt")"
fi
for suite in conformance crash concurrency; do
  grep -q "^  $suite\[" "$work/merged.txt" || fail "no $suite shards in the merge"
done
grep -q "engine paths: [1-9]" "$work/merged.txt" || fail "no coverage in the merge"
cat "$work/merged-lines.txt"

if [ "$seeded" = 1 ]; then
  "$shardcheck" merge "$work/bug" >"$work/bug.txt" 2>&1
  rc=$?
  [ "$rc" = 1 ] || fail "merge of the seeded-bug campaign exited $rc, wanted 1"
  grep -q "^1 distinct finding$" "$work/bug.txt" ||
    fail "the seeded bug is not one signature: $(grep -A3 'distinct finding' "$work/bug.txt")"
  grep -E "hit by [0-9]+ shards" "$work/bug.txt" | head -n 1
fi

if [ "$failures" -ne 0 ]; then
  echo "slurm campaign: $failures failure(s); logs in $work"
  exit 1
fi
echo "slurm campaign: ok (4-shard arrays of conformance, crash and concurrency merged)"
keep_logs=0
