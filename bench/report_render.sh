#!/usr/bin/env bash
# How long headless Chromium takes to render the report of a 10,000-operation history, beside
# an empty page rendered the same way in the same run (the browser's own start-up and
# screenshot, which the difference removes). Prints the page's size, the medians, the
# difference and the ratio page/empty. Target (not a test): the difference under 2 s here, and
# the page under 5 MB.
#
# Usage: bench/report_render.sh [SHARDCHECK] [ROUNDS]   (default build/release/checker/shardcheck, 5)
set -euo pipefail
shardcheck="${1:-build/release/checker/shardcheck}"
rounds="${2:-5}"
browser="$(command -v chromium || command -v chromium-browser || true)"
[ -n "$browser" ] || { echo "report_render: no chromium (ci/install-deps.sh installs it)" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 10,000 operations: 8 processes over 16 keys, four at a time overlapping (invoked together,
# then completed), every read seeing the value written before its batch; the last read of k0
# sees k0's first value although later writes replaced it, so the history is not linearizable.
awk 'BEGIN {
  ops = 9999; batch = 4;
  for (i = 0; i < ops; i += batch) {
    for (j = i; j < i + batch && j < ops; j++) {
      p = j % 8; k = "k" (j % 16);
      if (j % 3 == 2) {
        f[j] = "read"; seen[j] = (k in last) ? "\"" last[k] "\"" : "null";
        printf "{\"process\":%d,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"%s\",\"value\":null}\n", p, k;
      } else {
        f[j] = "write";
        printf "{\"process\":%d,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"%s\",\"value\":\"v%d\"}\n", p, k, j;
      }
    }
    for (j = i; j < i + batch && j < ops; j++) {
      p = j % 8; k = "k" (j % 16);
      if (f[j] == "read") {
        printf "{\"process\":%d,\"type\":\"ok\",\"f\":\"read\",\"key\":\"%s\",\"value\":%s}\n", p, k, seen[j];
      } else {
        printf "{\"process\":%d,\"type\":\"ok\",\"f\":\"write\",\"key\":\"%s\",\"value\":\"v%d\"}\n", p, k, j;
        last[k] = "v" j;
      }
    }
  }
  printf "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"k0\",\"value\":null}\n";
  printf "{\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"key\":\"k0\",\"value\":\"v0\"}\n";
}' >"$work/history.jsonl"

set +e
"$shardcheck" linearize "$work/history.jsonl" --model kv --report "$work/page.html" >"$work/out"
rc=$?
set -e
[ "$rc" = 1 ] || { echo "report_render: linearize exited $rc, wanted 1 (not linearizable)" >&2; cat "$work/out" >&2; exit 2; }
printf '<!doctype html><html><head><meta charset="utf-8"></head><body></body></html>\n' >"$work/empty.html"

render() {  # render <page>: seconds to load, lay out and screenshot it
  local start end
  start="$(date +%s.%N)"
  "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
    --user-data-dir="$work/profile" --host-resolver-rules="MAP * ~NOTFOUND" \
    --window-size=1400,1000 --screenshot="$work/shot.png" "file://$1" >/dev/null 2>&1
  end="$(date +%s.%N)"
  awk -v a="$start" -v b="$end" 'BEGIN { print b - a }'
}
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

render "$work/empty.html" >/dev/null  # a first start fills the profile and the page cache
: >"$work/page.times"
: >"$work/empty.times"
for _ in $(seq "$rounds"); do
  render "$work/empty.html" >>"$work/empty.times"
  render "$work/page.html" >>"$work/page.times"
done
page="$(median <"$work/page.times")"
empty="$(median <"$work/empty.times")"
bytes="$(stat -c %s "$work/page.html")"
printf 'report of a 10,000-operation history: %d bytes (%.2f MB; target < 5 MB)\n' "$bytes" \
  "$(awk -v b="$bytes" 'BEGIN { print b / 1048576 }')"
printf 'headless chromium, median of %d: page %.3f s, empty page %.3f s\n' "$rounds" "$page" "$empty"
printf 'render cost (page - empty): %.3f s (target < 2 s); ratio page/empty: %.2f\n' \
  "$(awk -v p="$page" -v e="$empty" 'BEGIN { print p - e }')" \
  "$(awk -v p="$page" -v e="$empty" 'BEGIN { print p / e }')"
