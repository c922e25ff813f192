#!/usr/bin/env bash
# End-to-end test of `shardstore check` and `shardstore salvage` on a file image: check of a
# healthy image exits 0 and of a damaged one 1, naming the damage, and never changes a byte;
# salvage rebuilds an index whose metadata was flipped, after which every value reads back
# identical and a deleted key stays deleted; bad usage exits 2.
set -uo pipefail
tool="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
img="$work/disk.img"
failures=0

expect() {  # expect <wanted exit code> <description> <command...>
  local want="$1" what="$2"
  shift 2
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: $what: exit $got, wanted $want"; cat "$work/out" "$work/err"; failures=$((failures + 1))
  elif [ "$got" -ge 128 ]; then
    echo "FAIL: $what: killed by a signal"; failures=$((failures + 1))
  else
    echo "ok: $what"
  fi
}
check_output() {  # check_output <description> <grep pattern> [file]
  if grep -q -- "$2" "${3:-$work/out}"; then echo "ok: $1"; else
    echo "FAIL: $1 (no '$2')"; cat "${3:-$work/out}" "$work/err"; failures=$((failures + 1)); fi
}
same_bytes() {  # same_bytes <description> <file a> <file b>
  if cmp -s "$2" "$3"; then echo "ok: $1"; else echo "FAIL: $1"; failures=$((failures + 1)); fi
}

# Values: one spanning several chunks (a 1 MiB extent takes 256 KiB chunks), small ones, an
# overwrite, and a delete; each command is its own process, so each leaves an index run.
head -c 700000 /dev/urandom >"$work/big"
printf 'small value' >"$work/small"
printf 'first' >"$work/first"
printf 'second' >"$work/second"
expect 0 "format" "$tool" format "$img" --extents 16 --extent-bytes 1048576
expect 0 "put" "$tool" put "$img" big "$work/big" small "$work/small" over "$work/first" gone "$work/small"
expect 0 "overwrite" "$tool" put "$img" over "$work/second"
expect 0 "delete" "$tool" delete "$img" gone
expect 0 "check a healthy image" "$tool" check "$img"
check_output "check says clean" "clean"
check_output "check counts the keys" "index loads, 3 keys"
expect 0 "salvage leaves an image whose index loads alone" "$tool" salvage "$img"
check_output "salvage says there is nothing to do" "nothing to salvage"

# Flip a byte in the newest index metadata chunk (the last page written to the metadata
# extent): the image no longer opens, though every data chunk is intact.
"$tool" stat "$img" >"$work/stat"
read -r meta_extent meta_pointer < <(awk '$2 == "metadata" { print $1, $3 }' "$work/stat")
[ -n "$meta_extent" ] && echo "ok: found the metadata extent ($meta_extent)" || { echo "FAIL: no metadata extent"; cat "$work/stat"; failures=$((failures + 1)); }
printf '\x5a' | dd of="$img" bs=1 seek=$((meta_extent * 1048576 + meta_pointer - 4096 + 100)) conv=notrunc status=none
expect 1 "the damaged image does not open" "$tool" get "$img" small
check_output "get says the index does not load" "loading the index" "$work/err"

cp "$img" "$work/before"
expect 1 "check finds the damage" "$tool" check "$img"
check_output "check names the metadata chunk" "extent $meta_extent offset $((meta_pointer - 4096)) ([0-9]* bytes): index metadata chunk"
check_output "check names the body checksum" "body checksum mismatch"
check_output "check says the index does not load" "index does not load"
check_output "check points at salvage" "shardstore salvage"
same_bytes "check wrote nothing" "$img" "$work/before"
expect 0 "salvage --dry-run" "$tool" salvage "$img" --dry-run
check_output "dry run says so" "dry run, nothing written"
check_output "dry run would recover the big value" "recovered big: .* in 3 parts"
same_bytes "salvage --dry-run wrote nothing" "$img" "$work/before"

# Another process holding the image (a shared lock, as a reader would) keeps salvage out but
# lets check in.
expect 1 "salvage refuses a locked image" flock -s "$img" "$tool" salvage "$img"
check_output "salvage says the image is in use" "in use" "$work/err"
expect 1 "check shares the lock" flock -s "$img" "$tool" check "$img"
check_output "check ran beside the reader" "index metadata chunk"
same_bytes "nothing changed meanwhile" "$img" "$work/before"

expect 0 "salvage" "$tool" salvage "$img"
check_output "salvage rebuilt the index" "index rebuilt: 3 keys recovered"
check_output "salvage honours the delete" "deleted gone"
check_output "salvage lists a recovered key" "recovered over: "
expect 0 "get big after salvage" "$tool" get "$img" big --output "$work/big.back"
same_bytes "big is identical" "$work/big" "$work/big.back"
[ "$("$tool" get "$img" small)" = "small value" ] && echo "ok: small is identical" || { echo "FAIL: small"; failures=$((failures + 1)); }
[ "$("$tool" get "$img" over)" = "second" ] && echo "ok: the overwrite is the value" || { echo "FAIL: over"; failures=$((failures + 1)); }
expect 1 "the deleted key stays deleted" "$tool" get "$img" gone
[ "$("$tool" list "$img" | tr '\n' ' ')" = "big over small " ] && echo "ok: list after salvage" || { echo "FAIL: list"; "$tool" list "$img"; failures=$((failures + 1)); }
expect 1 "check still sees the dead damaged chunk" "$tool" check "$img"
check_output "check says the store no longer needs it" "not needed"
check_output "check says the index loads" "index loads, 3 keys"
expect 0 "the image takes writes again" "$tool" put "$img" after "$work/small"
expect 0 "compact after salvage" "$tool" compact "$img"
[ "$("$tool" list "$img" | tr '\n' ' ')" = "after big over small " ] && echo "ok: keys after compact" || { echo "FAIL: keys after compact"; failures=$((failures + 1)); }

expect 2 "check without an image" "$tool" check
expect 2 "check with too many arguments" "$tool" check "$img" extra
expect 2 "salvage without an image" "$tool" salvage
expect 1 "check of a missing image" "$tool" check "$work/none.img"
head -c 200000 /dev/urandom >"$work/garbage.img"
expect 1 "check of something else" "$tool" check "$work/garbage.img"

echo "$((failures == 0 ? 1 : 0)) passed, $failures failed"
[ "$failures" -eq 0 ]
