#!/usr/bin/env python3
"""Mutation testing of the shardstore engine: do the checkers catch faults nobody seeded?

Each mutant in mutants.json is one small fault planted in shardstore/src (a snippet that must
occur exactly once in its file, and its replacement). For each mutant this script applies it to a
scratch copy of the tree, rebuilds only `shardcheck` there (incrementally, under the shared build
lock), and runs `shardcheck conformance`, `crash` and `concurrency` with fixed seeds and
iteration counts sized to a time budget, stopping at the first suite that finds something.

  killed      a suite exited 1 (a violation) or died on a signal (a crash)
  survived    every suite exited 0, or hit the hard time limit without a finding
  stillborn   the mutant does not compile (left out of the score)
  error       the snippet does not occur exactly once (the mutant list is stale; exit 1)

score = killed / (killed + survived). The worktree is never modified: mutants live in the
scratch copy, which is synced from the worktree at start and restored after every mutant. A run
is a function of the commit, the mutant list, --seed and --budget.

Exit status: 0 the run completed (and met --min-score), 1 a mutant did not apply, the clean
engine failed a suite, or the score is below --min-score, 2 bad usage.
"""

import argparse
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MUTANTS_FILE = Path(__file__).resolve().parent / "mutants.json"
SUITES = ("conformance", "crash", "concurrency")
# Iterations per second of budget, measured on the clean engine (release preset, one core,
# nice 19): a budget of 20 s runs about 20 s per suite there. Fixed numbers rather than a
# calibration at run time, so that a run depends only on the budget and never on machine load.
ITERATIONS_PER_SECOND = {"conformance": 700, "crash": 16, "concurrency": 450}
SUITE_ARGS = {"conformance": ["--max-ops", "100"], "crash": [], "concurrency": []}
CLASSES = (
    "chunk-framing",
    "extent",
    "io-scheduler",
    "dependency",
    "superblock",
    "lsm-index",
    "reclamation",
    "recovery",
    "store-api",
    "read-cache",
    "nospace",
    "concurrency",
)
BUILD_LOCK = "/tmp/shardstore-build.lock"
BUILD_TIMEOUT_SECONDS = 3600  # includes waiting for other engineers' builds to release the lock


class UsageError(Exception):
    pass


def log(message):
    print(message, file=sys.stderr, flush=True)


def load_mutants(path):
    """The mutant list, validated. A malformed list is a usage error."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot read the mutant list {path}: {e}")
    mutants = doc.get("mutants") if isinstance(doc, dict) else None
    if not isinstance(mutants, list) or not mutants:
        raise UsageError(f"{path}: expected an object with a non-empty 'mutants' list")
    seen = set()
    for i, m in enumerate(mutants):
        where = f"{path}: mutant #{i}"
        for field in ("id", "class", "file", "description", "original", "replacement"):
            if not isinstance(m.get(field), str):
                raise UsageError(f"{where}: field '{field}' missing or not a string")
        if m["id"] in seen:
            raise UsageError(f"{where}: duplicate id {m['id']}")
        seen.add(m["id"])
        if m["class"] not in CLASSES:
            raise UsageError(f"{where} ({m['id']}): unknown class {m['class']}")
        if not m["file"].startswith("shardstore/src/"):
            raise UsageError(f"{where} ({m['id']}): mutants plant faults in shardstore/src only")
        if not m["original"] or m["original"] == m["replacement"]:
            raise UsageError(f"{where} ({m['id']}): empty or unchanged snippet")
    return mutants


def tracked_files():
    """Paths (relative to the repository) of every file the scratch copy needs."""
    out = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        check=True,
        capture_output=True,
    ).stdout
    return sorted({p for p in out.decode().split("\0") if p and (REPO / p).is_file()})


def write_fresh(path, data):
    """Writes `data`, always giving the file a new mtime so that ninja rebuilds what uses it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    now = time.time_ns()
    os.utime(path, ns=(now, now))


def sync_scratch(scratch, files):
    """Makes the scratch tree's sources equal to the worktree's, touching only what differs."""
    wanted = set(files)
    changed = 0
    for rel in files:
        data = (REPO / rel).read_bytes()
        target = scratch / rel
        if not target.is_file() or target.read_bytes() != data:
            write_fresh(target, data)
            changed += 1
    for path in sorted(scratch.rglob("*"), reverse=True):
        rel = path.relative_to(scratch).as_posix()
        if rel == "build" or rel.startswith("build/") or rel.startswith(".mutation"):
            continue
        if path.is_file() and rel not in wanted:
            path.unlink()
            changed += 1
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return changed


def configure(scratch):
    subprocess.run(
        ["cmake", "--preset", "release"], cwd=scratch, check=True, stdout=subprocess.DEVNULL
    )


def build(scratch):
    """Builds shardcheck in the scratch tree. Returns (ok, tail of the compiler output)."""
    command = [
        "flock", BUILD_LOCK, "nice", "-n", "19",
        "cmake", "--build", "build/release", "--target", "shardcheck", "--parallel", "2",
    ]
    try:
        result = subprocess.run(
            command, cwd=scratch, capture_output=True, text=True, timeout=BUILD_TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired:
        return False, "build timed out"
    output = result.stdout + result.stderr
    errors = [line for line in output.splitlines() if "error" in line]
    return result.returncode == 0, "\n".join((errors or output.splitlines())[-6:])


def iterations(suite, budget):
    return max(1, round(ITERATIONS_PER_SECOND[suite] * budget))


def find_violation(record):
    """The first 'violation' sentence anywhere in a shardcheck --json record."""
    if isinstance(record, dict):
        if isinstance(record.get("violation"), str):
            return record["violation"]
        values = record.values()
    elif isinstance(record, list):
        values = record
    else:
        return None
    for value in values:
        found = find_violation(value)
        if found:
            return found
    return None


def run_suite(shardcheck, suite, budget, seed):
    """Runs one suite. Returns (verdict, detail, seconds, command); verdict is 'pass',
    'violation', 'crash', 'timeout' or 'usage'."""
    command = [
        str(shardcheck), suite,
        "--iterations", str(iterations(suite, budget)),
        "--seed", str(seed),
        *SUITE_ARGS[suite],
        "--json",
    ]
    # Three times the budget: the rates were measured on a quiet machine, and a clean suite on a
    # machine shared with other builds takes up to twice as long.
    hard_limit = 3 * budget + 30
    start = time.monotonic()
    try:
        result = subprocess.run(
            ["nice", "-n", "19", *command], capture_output=True, text=True, timeout=hard_limit
        )
    except subprocess.TimeoutExpired:
        seconds = time.monotonic() - start
        return "timeout", f"no finding within the hard limit of {hard_limit:.0f} s", seconds, command
    seconds = time.monotonic() - start
    rc = result.returncode
    if rc == 0:
        return "pass", "", seconds, command
    if rc == 1:
        lines = result.stdout.strip().splitlines()
        detail = None
        if lines:
            try:
                detail = find_violation(json.loads(lines[-1]))
            except ValueError:
                pass
        return "violation", detail or "exit 1", seconds, command
    if rc == 2:
        return "usage", result.stderr.strip()[-300:], seconds, command
    if rc < 0:
        name = signal.Signals(-rc).name if -rc in signal.Signals._value2member_map_ else str(-rc)
        last = (result.stderr.strip().splitlines() or [""])[-1]
        return "crash", f"killed by {name}: {last}"[:300], seconds, command
    last = (result.stderr.strip().splitlines() or [""])[-1]
    return "crash", f"exit {rc}: {last}"[:300], seconds, command


def run_suites(shardcheck, suites, budget, seed):
    """Runs the suites in order until one finds something. Returns a result dict."""
    runs = []
    for suite in suites:
        verdict, detail, seconds, command = run_suite(shardcheck, suite, budget, seed)
        runs.append({"suite": suite, "verdict": verdict, "seconds": round(seconds, 1),
                     "detail": detail, "command": " ".join(command[1:])})
        if verdict in ("violation", "crash", "usage"):
            break
    return runs


def mutate_one(mutant, scratch, suites, budget, seed):
    path = scratch / mutant["file"]
    start = time.monotonic()
    result = {"id": mutant["id"], "class": mutant["class"], "file": mutant["file"],
              "description": mutant["description"], "killed_by": None, "how": None,
              "detail": "", "runs": []}
    if not path.is_file():
        result.update(outcome="error", detail=f"{mutant['file']} does not exist")
        return result
    original = path.read_bytes()
    text = original.decode()
    count = text.count(mutant["original"])
    if count != 1:
        result.update(outcome="error", detail=f"the snippet occurs {count} times in {mutant['file']}")
        return result
    try:
        write_fresh(path, text.replace(mutant["original"], mutant["replacement"]).encode())
        built, output = build(scratch)
        result["build_seconds"] = round(time.monotonic() - start, 1)
        if not built:
            result.update(outcome="stillborn", detail=output)
            return result
        runs = run_suites(scratch / "build/release/checker/shardcheck", suites, budget, seed)
        result["runs"] = runs
        last = runs[-1]
        if last["verdict"] in ("violation", "crash"):
            result.update(outcome="killed", killed_by=last["suite"], how=last["verdict"],
                          detail=last["detail"])
        elif last["verdict"] == "usage":
            result.update(outcome="error", detail=f"shardcheck {last['suite']}: {last['detail']}")
        else:
            timeouts = [r["suite"] for r in runs if r["verdict"] == "timeout"]
            result.update(outcome="survived",
                          detail=("timed out: " + ", ".join(timeouts)) if timeouts else "")
    finally:
        write_fresh(path, original)
        result["seconds"] = round(time.monotonic() - start, 1)
    return result


def check_applies(mutants):
    """Every mutant's snippet occurs exactly once in the worktree. Returns the failures."""
    failures = []
    for m in mutants:
        path = REPO / m["file"]
        count = path.read_text().count(m["original"]) if path.is_file() else 0
        if count != 1:
            failures.append(f"{m['id']}: the snippet occurs {count} times in {m['file']}")
    return failures


def outcome_text(r):
    if r["outcome"] == "killed":
        return f"killed by {r['killed_by']} ({r['how']})"
    if r["outcome"] == "survived" and r["detail"]:
        return "survived (timeout)"
    return r["outcome"]


def print_table(results):
    id_width = max(len("mutant"), *(len(r["id"]) for r in results))
    class_width = max(len("class"), *(len(r["class"]) for r in results))
    out_width = max(len("outcome"), *(len(outcome_text(r)) for r in results))
    print(f"{'mutant':<{id_width}}  {'class':<{class_width}}  {'outcome':<{out_width}}  seconds")
    for r in results:
        print(f"{r['id']:<{id_width}}  {r['class']:<{class_width}}  "
              f"{outcome_text(r):<{out_width}}  {r.get('seconds', 0):7.1f}")


def summarize(results):
    killed = sum(r["outcome"] == "killed" for r in results)
    survived = sum(r["outcome"] == "survived" for r in results)
    score = 100.0 * killed / (killed + survived) if killed + survived else None
    return killed, survived, score


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="ci/mutation.sh",
        description="Plant each fault of the mutant list in a scratch copy of the engine, run "
        "the checkers on it, and report the mutation score and the survivors.",
    )
    parser.add_argument("--mutants", help="comma-separated mutant ids (default: all)")
    parser.add_argument("--budget", type=float, default=20.0,
                        help="seconds per suite per mutant on the clean engine (default 20); "
                        "sets the iteration counts, three times it plus 30 s is the hard limit")
    parser.add_argument("--seed", type=int, default=1, help="seed of every suite (default 1)")
    parser.add_argument("--suites", default=",".join(SUITES),
                        help="comma-separated suites, run in this order (default: all three)")
    parser.add_argument("--scratch", default="/tmp/shardstore-mutant",
                        help="scratch copy of the tree and its build (default /tmp/shardstore-mutant)")
    parser.add_argument("--min-score", type=float, default=None,
                        help="exit 1 if the score is below this percentage")
    parser.add_argument("--skip-baseline", action="store_true",
                        help="do not first check that the clean engine passes every suite")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--check", action="store_true",
                        help="only check that every mutant applies to the worktree; no build")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object with every result, last on stdout")
    args = parser.parse_args(argv)
    if not 0 < args.budget <= 3600:
        raise UsageError("--budget must be in (0, 3600] seconds")
    if args.seed < 0:
        raise UsageError("--seed must be non-negative")
    suites = [s for s in args.suites.split(",") if s]
    unknown = [s for s in suites if s not in SUITES]
    if unknown or not suites or len(set(suites)) != len(suites):
        raise UsageError(f"--suites takes distinct names among {', '.join(SUITES)}")
    args.suites = suites
    if args.min_score is not None and not 0 <= args.min_score <= 100:
        raise UsageError("--min-score is a percentage in [0, 100]")
    return args


def select(mutants, wanted):
    if not wanted:
        return mutants
    ids = [i for i in wanted.split(",") if i]
    by_id = {m["id"]: m for m in mutants}
    unknown = [i for i in ids if i not in by_id]
    if unknown or not ids:
        raise UsageError(f"unknown mutant id(s): {', '.join(unknown) or '(none given)'} "
                         "(see --list)")
    return [by_id[i] for i in ids]


def main(argv):
    try:
        args = parse_args(argv)
        mutants = select(load_mutants(MUTANTS_FILE), args.mutants)
    except UsageError as e:
        print(f"mutate: {e}", file=sys.stderr)
        return 2

    if args.list:
        for m in mutants:
            print(f"{m['id']:<40} {m['class']:<14} {m['file'][len('shardstore/src/'):]}: "
                  f"{m['description']}")
        return 0
    if args.check:
        failures = check_applies(mutants)
        for f in failures:
            print(f"mutate: {f}", file=sys.stderr)
        print(f"{len(mutants) - len(failures)} of {len(mutants)} mutants apply exactly once")
        return 1 if failures else 0

    scratch = Path(args.scratch).resolve()
    if scratch == REPO or REPO in scratch.parents:
        print("mutate: --scratch must lie outside the worktree", file=sys.stderr)
        return 2
    scratch.mkdir(parents=True, exist_ok=True)
    lock_file = open(scratch / ".mutation.lock", "w")
    try:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"mutate: another mutation run is using {scratch}", file=sys.stderr)
        return 1

    started = time.monotonic()
    changed = sync_scratch(scratch, tracked_files())
    log(f"mutate: scratch tree {scratch} ({changed} files synced from {REPO})")
    configure(scratch)
    log(f"mutate: {len(mutants)} mutants, suites {', '.join(args.suites)}, budget {args.budget:g} s "
        f"per suite, seed {args.seed}; iterations: " +
        ", ".join(f"{s} {iterations(s, args.budget)}" for s in args.suites))

    baseline = None
    if not args.skip_baseline:
        built, output = build(scratch)
        if not built:
            print(f"mutate: the clean tree does not build:\n{output}", file=sys.stderr)
            return 1
        baseline = run_suites(scratch / "build/release/checker/shardcheck", args.suites,
                              args.budget, args.seed)
        for run in baseline:
            log(f"mutate: baseline {run['suite']}: {run['verdict']} in {run['seconds']} s")
        bad = [r for r in baseline if r["verdict"] != "pass"]
        if bad:
            print(f"mutate: the clean engine does not pass {bad[0]['suite']} "
                  f"({bad[0]['verdict']}: {bad[0]['detail']}); a score would mean nothing",
                  file=sys.stderr)
            return 1

    results = []
    for n, mutant in enumerate(mutants, 1):
        result = mutate_one(mutant, scratch, args.suites, args.budget, args.seed)
        results.append(result)
        log(f"mutate: [{n}/{len(mutants)}] {mutant['id']}: {outcome_text(result)} "
            f"({result.get('seconds', 0)} s){': ' + result['detail'][:160] if result['detail'] else ''}")
    total_seconds = time.monotonic() - started

    killed, survived, score = summarize(results)
    stillborn = [r for r in results if r["outcome"] == "stillborn"]
    errors = [r for r in results if r["outcome"] == "error"]
    survivors = [r for r in results if r["outcome"] == "survived"]
    print_table(results)
    print()
    score_text = f"{score:.1f}%" if score is not None else "n/a"
    print(f"score: {score_text} ({killed} killed of {killed + survived}; {len(stillborn)} "
          f"stillborn, {len(errors)} errors) in {total_seconds / 60:.1f} min, budget "
          f"{args.budget:g} s per suite, seed {args.seed}")
    for title, group in (("survivors", survivors), ("stillborn", stillborn), ("errors", errors)):
        if group:
            print(f"{title}:")
            for r in group:
                print(f"  {r['id']} ({r['class']}): {r['description']}"
                      f"{' [' + r['detail'].splitlines()[0] + ']' if r['detail'] else ''}")
    if args.json:
        print(json.dumps({
            "schema": 1, "suite": "mutation", "budget_seconds": args.budget, "seed": args.seed,
            "suites": args.suites,
            "iterations": {s: iterations(s, args.budget) for s in args.suites},
            "score": score, "killed": killed, "survived": survived,
            "stillborn": len(stillborn), "errors": len(errors),
            "survivors": [r["id"] for r in survivors], "seconds": round(total_seconds, 1),
            "baseline": baseline, "results": results,
        }, sort_keys=True))
    if errors:
        return 1
    if args.min_score is not None and (score is None or score < args.min_score):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
