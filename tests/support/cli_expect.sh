# Sourced by the shardcheck end-to-end scripts after they set `work` (a scratch directory) and
# `failures=0`: the two checks they all make.

expect() {  # expect <wanted exit code> <description> <command...>
  local want="$1" what="$2"
  shift 2
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: $what: exit $got, wanted $want"; tail -n 5 "$work/out" "$work/err"
    failures=$((failures + 1))
  fi
}
expect_in() {  # expect_in <file> <text> <description>
  if ! grep -qF -- "$2" "$1"; then echo "FAIL: $3: no '$2' in $1"; failures=$((failures + 1)); fi
}
