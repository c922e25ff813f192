#!/usr/bin/env bash
# Several shardstore processes on one image at once. Without the image lock these scenarios lost
# acknowledged puts, pointed keys at other keys' chunks, or left an image that no longer opened.
# Now a second writer is refused at once (exit 1, "in use by another process") or, with --wait,
# waits its turn; readers share the image and write nothing. In every scenario each put that
# exited 0 must read back exactly its own value afterwards.
set -uo pipefail
tool="$1"
rounds="${2:-30}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
img="$work/disk.img"
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

value_of() { printf 'value of %s, written by the multiprocess test' "$1"; }

# put_loop <prefix> <log> [--wait]: puts <prefix>/0..rounds-1 one process each; logs acknowledged
# keys; a refusal must say the image is in use.
put_loop() {
  local prefix="$1" log="$2"
  shift 2
  : >"$log"
  for i in $(seq 0 $((rounds - 1))); do
    local key="$prefix/$i"
    value_of "$key" | "$tool" put "$img" "$key" - "$@" >/dev/null 2>"$log.err.$i"
    local rc=$?
    if [ "$rc" = 0 ]; then
      echo "$key" >>"$log"
    elif [ "$rc" != 1 ] || ! grep -q "in use by another process" "$log.err.$i"; then
      echo "unexpected put failure (exit $rc): $(cat "$log.err.$i")" >>"$log.bad"
    fi
  done
}

# loop_of <log> <command...>: runs the command rounds times; anything but success or a clean
# refusal (or, for reclaim, a free extent) is logged as bad.
loop_of() {
  local log="$1"
  shift
  : >"$log"
  for i in $(seq 0 $((rounds - 1))); do
    "$@" >/dev/null 2>"$log.err"
    local rc=$?
    if [ "$rc" = 0 ]; then
      echo ok >>"$log.ok"
    elif [ "$rc" != 1 ] || ! grep -q "in use by another process\|is free\|cannot be reclaimed" "$log.err"; then
      echo "unexpected failure (exit $rc) of $*: $(cat "$log.err")" >>"$log.bad"
    fi
  done
}

# Every acknowledged key in the given logs holds its own value; the image opens and lists them.
check_acknowledged() {
  local what="$1"
  shift
  local bad=0 count=0
  for log in "$@"; do
    [ -s "$log.bad" ] && { fail "$what: $(head -3 "$log.bad")"; bad=1; }
    while read -r key; do
      count=$((count + 1))
      [ "$("$tool" get "$img" "$key" 2>&1)" = "$(value_of "$key")" ] || {
        fail "$what: acknowledged $key does not read back its value"
        bad=1
      }
    done <"$log"
  done
  "$tool" list "$img" >"$work/list" 2>&1 || { fail "$what: the image no longer opens: $(cat "$work/list")"; bad=1; }
  [ "$bad" = 0 ] && echo "ok: $what ($count acknowledged puts intact)"
}

fresh() {
  rm -f "$img"
  "$tool" format "$img" --extents 16 --extent-bytes 1048576 >/dev/null || fail "format"
}

# 1. Two writers, no waiting: the loser of each race is refused; nothing acknowledged is lost.
fresh
put_loop a "$work/a" & put_loop b "$work/b" & wait
check_acknowledged "two writers, refusals" "$work/a" "$work/b"

# 2. Two writers that wait: every put goes through.
fresh
put_loop a "$work/a" --wait & put_loop b "$work/b" --wait & wait
[ "$(cat "$work/a" "$work/b" | wc -l)" = "$((2 * rounds))" ] && echo "ok: waiting writers all succeed" || fail "waiting writers: $(cat "$work/a" "$work/b" | wc -l) of $((2 * rounds)) puts"
check_acknowledged "two waiting writers" "$work/a" "$work/b"

# 3. A put loop beside a compact loop and a reclaim loop, waiting and not.
fresh
put_loop p "$work/p" --wait &
loop_of "$work/compact" "$tool" compact "$img" --wait &
(for i in $(seq 0 $((rounds - 1))); do "$tool" reclaim "$img" $((1 + i % 15)) --wait; done >/dev/null 2>&1) &
wait
check_acknowledged "puts beside compact and reclaim (--wait)" "$work/p" "$work/compact"
put_loop q "$work/q" &
loop_of "$work/compact" "$tool" compact "$img" &
loop_of "$work/reclaim" "$tool" reclaim "$img" 2 &
wait
check_acknowledged "puts beside compact and reclaim (refusals)" "$work/p" "$work/q" "$work/compact" "$work/reclaim"

# 4. A list loop beside a writer: readers share the image and never write.
fresh
put_loop w "$work/w" --wait &
loop_of "$work/list-loop" "$tool" list "$img" &
loop_of "$work/stat-loop" "$tool" stat "$img" --wait &
wait
[ "$(wc -l <"$work/w")" = "$rounds" ] && echo "ok: the writer beside readers finished" || fail "writer beside readers: $(wc -l <"$work/w") of $rounds"
check_acknowledged "list and stat loops beside a writer" "$work/w" "$work/list-loop" "$work/stat-loop"

# 5. Read-only commands change no byte of the image, and work on a read-only file.
before="$(sha256sum <"$img")"
"$tool" list "$img" >/dev/null && "$tool" stat "$img" >/dev/null && "$tool" get "$img" w/0 >/dev/null || fail "read-only commands"
"$tool" get "$img" no-such-key >/dev/null 2>&1
[ "$(sha256sum <"$img")" = "$before" ] && echo "ok: list, stat and get leave the image byte for byte" || fail "a read-only command changed the image"
chmod 444 "$img"
"$tool" list "$img" >/dev/null 2>"$work/err" && echo "ok: list on a read-only file" || fail "list on a read-only file: $(cat "$work/err")"
chmod 644 "$img"

# 6. A held lock: a writer is refused at once, naming the cause; --wait waits for it.
( flock -s 9; sleep 1 ) 9<"$img" &
sleep 0.2
value_of x | "$tool" put "$img" x - >/dev/null 2>"$work/err"
rc=$?
[ "$rc" = 1 ] && grep -q "in use by another process" "$work/err" && echo "ok: a writer beside a reader is refused" || { fail "refusal: exit $rc"; cat "$work/err"; }
value_of x | "$tool" put "$img" x - --wait >/dev/null 2>"$work/err" && echo "ok: --wait waits for the reader" || fail "--wait: $(cat "$work/err")"
wait

echo "$((failures == 0 ? 1 : 0)) passed, $failures failed"
[ "$failures" -eq 0 ]
