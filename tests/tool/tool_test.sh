#!/usr/bin/env bash
# End-to-end test of the shardstore tool on a file image: format, put, exit, get identical bytes;
# a truncated or corrupted image is a clear error with a non-zero exit, never a crash; bad usage
# exits 2. An optional second argument names the disk every command drives the image with
# (`--disk file|uring`); with uring, the fallback to pread/pwrite is checked too.
set -uo pipefail
tool="$1"
disk="${2:-file}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
img="$work/disk.img"
failures=0
if [ "$disk" != file ]; then
  printf '#!/bin/sh\nexec "%s" --disk %s "$@"\n' "$tool" "$disk" >"$work/tool"
  chmod +x "$work/tool"
  real_tool="$tool"
  tool="$work/tool"
fi

expect() {  # expect <wanted exit code> <description> <command...>
  local want="$1" what="$2"
  shift 2
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: $what: exit $got, wanted $want"; cat "$work/err"; failures=$((failures + 1))
  elif [ "$got" -ge 128 ]; then
    echo "FAIL: $what: killed by a signal"; failures=$((failures + 1))
  else
    echo "ok: $what"
  fi
}

head -c 300000 /dev/urandom >"$work/value"
expect 0 "format" "$tool" format "$img" --extents 16 --extent-bytes 1048576
expect 1 "format refuses to erase an image" "$tool" format "$img"
expect 0 "put" "$tool" put "$img" obj/1 "$work/value"
printf 'small' | "$tool" put "$img" obj/2 - >/dev/null || { echo "FAIL: put from stdin"; failures=$((failures + 1)); }
expect 0 "get" "$tool" get "$img" obj/1 --output "$work/back"
cmp -s "$work/value" "$work/back" && echo "ok: identical bytes" || { echo "FAIL: bytes differ"; failures=$((failures + 1)); }
[ "$("$tool" get "$img" obj/2)" = "small" ] && echo "ok: get to stdout" || { echo "FAIL: get to stdout"; failures=$((failures + 1)); }
[ "$("$tool" list "$img" | tr '\n' ' ')" = "obj/1 obj/2 " ] && echo "ok: list" || { echo "FAIL: list"; failures=$((failures + 1)); }
expect 0 "stat" "$tool" stat "$img"
grep -q "keys              2" "$work/out" && echo "ok: stat counts keys" || { echo "FAIL: stat"; cat "$work/out"; failures=$((failures + 1)); }
grep -q "reclaimable bytes" "$work/out" && grep -q "index level 0" "$work/out" && echo "ok: stat shows the index" || { echo "FAIL: stat index"; cat "$work/out"; failures=$((failures + 1)); }
expect 0 "delete" "$tool" delete "$img" obj/2
expect 1 "get of a deleted key" "$tool" get "$img" obj/2
expect 1 "get of a missing key" "$tool" get "$img" nothing

cp "$img" "$work/truncated.img"
truncate -s 500000 "$work/truncated.img"
expect 1 "truncated image" "$tool" get "$work/truncated.img" obj/1
grep -q "truncated" "$work/err" && echo "ok: says truncated" || { echo "FAIL: message"; cat "$work/err"; failures=$((failures + 1)); }

cp "$img" "$work/label.img"
printf '\xff\xff\xff\xff' | dd of="$work/label.img" bs=1 seek=30 conv=notrunc status=none
expect 1 "corrupted label" "$tool" list "$work/label.img"

# Flip bytes inside the stored value's chunk (extent 1 onwards): Corruption, not wrong bytes.
cp "$img" "$work/chunk.img"
printf '\x00\x01\x02\x03' | dd of="$work/chunk.img" bs=1 seek=$((1048576 + 9000)) conv=notrunc status=none
expect 1 "corrupted chunk" "$tool" get "$work/chunk.img" obj/1
grep -q "Corruption" "$work/err" && echo "ok: says Corruption" || { echo "FAIL: message"; cat "$work/err"; failures=$((failures + 1)); }

head -c 200000 /dev/urandom >"$work/garbage.img"
expect 1 "not an image" "$tool" list "$work/garbage.img"
expect 1 "missing image" "$tool" list "$work/none.img"

# Thousands of keys, across reopens: five invocations of 500 puts each, some overwriting.
mkdir -p "$work/values"
for i in $(seq 0 9); do printf 'value-%s-%0100d' "$i" "$i" >"$work/values/$i"; done
for batch in 0 1 2 3 4; do
  args=()
  for i in $(seq 0 499); do args+=("many/$((batch * 400 + i))" "$work/values/$((i % 10))"); done
  "$tool" put "$img" "${args[@]}" >/dev/null || { echo "FAIL: batch put $batch"; failures=$((failures + 1)); }
done
[ "$("$tool" list "$img" | grep -c '^many/')" = "2100" ] && echo "ok: 2100 keys after reopens" || { echo "FAIL: key count"; failures=$((failures + 1)); }
[ "$("$tool" get "$img" many/1234)" = "$(cat "$work/values/4")" ] && echo "ok: overwritten key" || { echo "FAIL: many/1234"; failures=$((failures + 1)); }
expect 0 "compact" "$tool" compact "$img"
expect 0 "reclaim" "$tool" reclaim "$img" 1
[ "$("$tool" list "$img" | grep -c '^many/')" = "2100" ] && echo "ok: keys after compact and reclaim" || { echo "FAIL: keys after reclaim"; failures=$((failures + 1)); }
cmp -s "$work/value" <("$tool" get "$img" obj/1) && echo "ok: obj/1 after reclaim" || { echo "FAIL: obj/1 after reclaim"; failures=$((failures + 1)); }
expect 1 "reclaim of extent 0" "$tool" reclaim "$img" 0
expect 2 "reclaim without extent" "$tool" reclaim "$img"

# Safe format: anything that is not missing, empty or zeros is refused without --force, and a
# refused format changes nothing and leaves nothing behind.
printf 'precious text\n' >"$work/text"
expect 1 "format refuses a text file" "$tool" format "$work/text"
[ "$(cat "$work/text")" = "precious text" ] && echo "ok: text file untouched" || { echo "FAIL: text file changed"; failures=$((failures + 1)); }
cp "$img" "$work/badlabel.img"
printf '\x01' | dd of="$work/badlabel.img" bs=1 seek=20 conv=notrunc status=none
expect 1 "format refuses an image with a damaged label" "$tool" format "$work/badlabel.img"
cmp -s <(tail -c +22 "$img") <(tail -c +22 "$work/badlabel.img") && echo "ok: damaged image untouched" || { echo "FAIL: damaged image changed"; failures=$((failures + 1)); }
expect 1 "format refuses a huge image on a small file system" "$tool" format "$work/huge.img" --extents 1048576 --extent-bytes 1073741824
[ ! -e "$work/huge.img" ] && echo "ok: no file left behind" || { echo "FAIL: huge.img left behind"; failures=$((failures + 1)); }
expect 1 "format refuses too few extents" "$tool" format "$work/tiny.img" --extents 4 --extent-bytes 65536
[ ! -e "$work/tiny.img" ] && echo "ok: no tiny file left behind" || { echo "FAIL: tiny.img left behind"; failures=$((failures + 1)); }
expect 1 "format refuses to grow a text file" "$tool" format "$work/text" --extents 64
[ "$(stat -c %s "$work/text")" = 14 ] && echo "ok: text file not grown" || { echo "FAIL: text file grown"; failures=$((failures + 1)); }
expect 0 "format --force overwrites a text file" "$tool" format "$work/text" --force --extents 8 --extent-bytes 65536
: >"$work/empty.img"
expect 0 "format takes an empty file" "$tool" format "$work/empty.img" --extents 8 --extent-bytes 65536
truncate -s 10M "$work/zeros.img"
expect 0 "format takes a file of zeros" "$tool" format "$work/zeros.img" --extents 8 --extent-bytes 65536
expect 0 "format --zero-fill" "$tool" format "$work/filled.img" --zero-fill --extents 8 --extent-bytes 65536
[ "$(($(stat -c '%b * %B' "$work/filled.img")))" -ge $((8 * 65536)) ] && echo "ok: zero-filled image allocated" || { echo "FAIL: zero-filled image is sparse"; failures=$((failures + 1)); }
expect 1 "demo refuses an existing image" "$tool" demo --image "$work/empty.img"
grep -q "exists" "$work/err" && echo "ok: demo says why" || { echo "FAIL: demo message"; cat "$work/err"; failures=$((failures + 1)); }

# Tool input: a directory or unreadable value is a clear error and stores nothing.
small="$work/small.img"
"$tool" format "$small" --extents 8 --extent-bytes 65536 >/dev/null
mkdir -p "$work/dir"
expect 1 "put of a directory" "$tool" put "$small" k "$work/dir"
grep -q "is a directory" "$work/err" && echo "ok: says directory" || { echo "FAIL: message"; cat "$work/err"; failures=$((failures + 1)); }
printf 'one' >"$work/one"
expect 1 "put with a missing file" "$tool" put "$small" first "$work/one" second "$work/missing"
grep -q "No such file or directory" "$work/err" && echo "ok: errno text" || { echo "FAIL: errno text"; cat "$work/err"; failures=$((failures + 1)); }
expect 1 "nothing stored after a bad file" "$tool" get "$small" first
# A multi-key put that runs out of room names exactly the keys it stored.
head -c 100000 /dev/urandom >"$work/big"
args=()
for i in $(seq 0 9); do args+=("big/$i" "$work/big"); done
expect 1 "multi-key put out of room" "$tool" put "$small" "${args[@]}"
stored="$(sed -n 's/^  //p' "$work/err")"
[ -n "$stored" ] && [ "$("$tool" list "$small" | grep '^big/')" = "$stored" ] && echo "ok: the stored keys are named ($(echo "$stored" | wc -l))" || { echo "FAIL: stored keys"; cat "$work/err"; failures=$((failures + 1)); }
grep -q "NoSpace.*delete" "$work/err" && echo "ok: NoSpace says what to do" || { echo "FAIL: NoSpace message"; cat "$work/err"; failures=$((failures + 1)); }
# The full image empties by deletes, one process each, and takes puts again (this image is too
# small for "as many as the first time": store_test's StoreFullDiskTest checks that).
for key in $stored; do "$tool" delete "$small" "$key" 2>"$work/err" || { echo "FAIL: delete $key of a full image"; cat "$work/err"; failures=$((failures + 1)); }; done
[ -z "$("$tool" list "$small")" ] && echo "ok: a full image emptied by deletes" || { echo "FAIL: keys left"; failures=$((failures + 1)); }
"$tool" put "$small" "${args[@]}" >/dev/null 2>"$work/err"
[ -n "$(sed -n 's/^  //p' "$work/err")" ] && [ "$("$tool" list "$small" | grep '^big/')" = "$(sed -n 's/^  //p' "$work/err")" ] && echo "ok: filled again" || { echo "FAIL: refill"; cat "$work/err"; failures=$((failures + 1)); }
# Keys with a newline list unambiguously.
small="$work/small2.img"
"$tool" format "$small" --extents 8 --extent-bytes 65536 >/dev/null
printf 'x' | "$tool" put "$small" $'two\nlines' - >/dev/null
printf 'y' | "$tool" put "$small" 'back\slash' - >/dev/null
"$tool" list "$small" | grep -qx 'two\\nlines' && "$tool" list "$small" | grep -qx 'back\\\\slash' && echo "ok: list escapes" || { echo "FAIL: list escapes"; "$tool" list "$small"; failures=$((failures + 1)); }
[ "$("$tool" list "$small" --null | tr '\0' '|' | grep -o $'two\nlines|')" = $'two\nlines|' ] && echo "ok: list --null" || { echo "FAIL: list --null"; failures=$((failures + 1)); }
long="$(head -c 1000 /dev/zero | tr '\0' k)"
expect 1 "get of a long missing key" "$tool" get "$small" "$long"
[ "$(wc -c <"$work/err")" -lt 300 ] && grep -q "1000 bytes" "$work/err" && echo "ok: long key cut in the message" || { echo "FAIL: long key message"; cat "$work/err"; failures=$((failures + 1)); }
expect 1 "missing image says why" "$tool" list "$work/none.img"
grep -q "No such file or directory" "$work/err" && echo "ok: errno text for the image" || { echo "FAIL: message"; cat "$work/err"; failures=$((failures + 1)); }
expect 2 "unknown command alone" "$tool" frobnicate
grep -q "unknown command" "$work/err" && echo "ok: called unknown" || { echo "FAIL: message"; cat "$work/err"; failures=$((failures + 1)); }

expect 2 "no command" "$tool"
expect 2 "unknown command" "$tool" frobnicate "$img"
expect 2 "missing argument" "$tool" put "$img" onlykey
expect 2 "bad number" "$tool" format "$work/x.img" --extents many
expect 2 "unknown option" "$tool" list "$img" --bogus
expect 2 "unknown disk" "$tool" list "$img" --disk floppy
grep -q "file or uring" "$work/err" && echo "ok: names the disks" || { echo "FAIL: message"; cat "$work/err"; failures=$((failures + 1)); }

if [ "$disk" = uring ]; then
  # Where io_uring is refused (forced here), the command says so and works through pread/pwrite.
  SHARDSTORE_DISABLE_IO_URING=1 expect 0 "get with io_uring refused" "$tool" get "$img" obj/1 --output "$work/fallback"
  grep -q "note: io_uring is disabled.*using FileDisk" "$work/err" && echo "ok: says it falls back" || { echo "FAIL: fallback message"; cat "$work/err"; failures=$((failures + 1)); }
  cmp -s "$work/value" "$work/fallback" && echo "ok: identical bytes after the fallback" || { echo "FAIL: fallback bytes"; failures=$((failures + 1)); }
  # Without the refusal nothing is said, and an image written through io_uring reads back the
  # same through pread/pwrite.
  expect 0 "get through io_uring" "$tool" get "$img" obj/1 --output "$work/uring"
  if grep -q "refuses io_uring\|io_uring lacks" "$work/err"; then
    echo "skip: this kernel refuses io_uring: $(cat "$work/err")"
  else
    [ ! -s "$work/err" ] && echo "ok: no note when io_uring is used" || { echo "FAIL: unexpected note"; cat "$work/err"; failures=$((failures + 1)); }
  fi
  cmp -s "$work/value" <("$real_tool" get "$img" obj/1) && echo "ok: the same bytes through pread" || { echo "FAIL: bytes through pread"; failures=$((failures + 1)); }
fi

echo "$((failures == 0 ? 1 : 0)) passed, $failures failed"
[ "$failures" -eq 0 ]
