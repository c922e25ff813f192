#!/usr/bin/env bash
# The product carries none of the checkers' machinery: no seeded-bug switch or registry and no
# coverage registry among the symbols of the `shardstore` tool. Exit 0 when none is found, 1
# (naming them) when some are; 2 on bad use or when the binary shows no shardstore symbol at all
# (stripped, or not ours), so a binary nm cannot read never passes.
#
#   production_symbols_test.sh path/to/shardstore
set -euo pipefail
if [ $# -ne 1 ] || [ ! -f "$1" ]; then
  echo "usage: $0 path/to/shardstore-tool" >&2
  exit 2
fi
symbols=$(nm -C "$1")
if ! grep -q 'shardstore::Store::Open' <<<"$symbols"; then
  echo "production_symbols_test: $1 shows no shardstore::Store symbols (stripped?)" >&2
  exit 2
fi
found=$(grep -E 'shardstore::(seeded|coverage)::' <<<"$symbols" || true)
if [ -n "$found" ]; then
  echo "production_symbols_test: $1 carries the checkers' hooks:" >&2
  head -20 <<<"$found" >&2
  exit 1
fi
echo "production_symbols_test: no seeded-bug or coverage symbols in $1"
