#!/usr/bin/env bash
# The engine's public API stands alone: every header in include/shardstore/ opens with its
# contract, compiles on its own with nothing but the public include folder (src/ is private), and
# shows no synchronization (sync.h, which only the checker's scheduler and users' own locks need)
# and no engine-internal type (`internal::`). Exit 0 when all hold, 1 naming each header that
# breaks one, 2 on bad use.
#
#   public_headers_test.sh path/to/shardstore/include C++-compiler
set -euo pipefail
if [ $# -ne 2 ] || [ ! -d "$1/shardstore" ]; then
  echo "usage: $0 path/to/include c++-compiler" >&2
  exit 2
fi
include=$1
cxx=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=0
count=0
for header in "$include"/shardstore/*.h; do
  name=shardstore/$(basename "$header")
  count=$((count + 1))
  if [ "$name" != shardstore/sync.h ] && grep -qE '#include +"shardstore/sync.h"' "$header"; then
    echo "public_headers_test: $name includes sync.h" >&2
    failed=1
  fi
  if grep -vE '^\s*//' "$header" | grep -q 'internal::'; then
    echo "public_headers_test: $name names an internal:: type" >&2
    failed=1
  fi
  if ! head -1 "$header" | grep -qE '^// [A-Za-z]'; then
    echo "public_headers_test: $name does not open with its contract (a // comment)" >&2
    failed=1
  fi
  if ! grep -qi 'thread-safe\|thread-safety' "$header"; then
    echo "public_headers_test: $name has no thread-safety note" >&2
    failed=1
  fi
  printf '#include "%s"\n' "$name" >"$scratch/tu.cc"
  if ! "$cxx" -std=c++20 -fsyntax-only -Wall -Wextra -Werror -I"$include" "$scratch/tu.cc" \
      2>"$scratch/err"; then
    echo "public_headers_test: $name does not compile on its own with only the public folder:" >&2
    head -5 "$scratch/err" >&2
    failed=1
  fi
done
if [ "$count" -eq 0 ]; then
  echo "public_headers_test: no header in $include/shardstore" >&2
  exit 2
fi
[ "$failed" -eq 0 ] || exit 1
echo "public_headers_test: $count public headers stand alone"
