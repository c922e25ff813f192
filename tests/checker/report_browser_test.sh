#!/usr/bin/env bash
# Reports in a real browser: each of the six kinds made by shardcheck from a real run, rendered
# by headless Chromium, checked through the DOM it dumps (the divergence, the power-cut strips,
# the lanes and the deadlock, the history bars, the crash-concurrency cut on the timeline, the
# campaign's blind spots and links), and screenshotted; no page refers to anything outside
# itself, and a key holding <script> or bytes that are not UTF-8 runs nothing and shows as text
# (\xNN). The JUnit XML of every suite (a systematic concurrency search and crash-concurrency
# included) and of a merge is validated against the testsuites/testsuite/testcase/failure schema.
#
# Usage: report_browser_test.sh SHARDCHECK JUNIT_XSD. Exit 77 (skipped) only where chromium or
# xmllint is missing; CI installs both (ci/install-deps.sh). REPORT_SCREENSHOTS=DIR keeps the
# screenshots (docs/images/ holds one of each kind).
set -uo pipefail
shardcheck="$1"
xsd="$2"
browser="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$browser" ]; then
  echo "SKIP: no chromium here (ci/install-deps.sh installs Debian's chromium)"
  exit 77
fi
if ! command -v xmllint >/dev/null; then
  echo "SKIP: no xmllint here (ci/install-deps.sh installs libxml2-utils)"
  exit 77
fi
if ! "$shardcheck" bugs --json | grep -q '"compiled_in":true'; then
  echo "SKIP: this build has no seeded bugs to report on"
  exit 77
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

run() {  # run <wanted exit code> <description> <command...>
  local want="$1" what="$2"
  shift 2
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  [ "$got" = "$want" ] || { fail "$what: exit $got, wanted $want"; tail -n 5 "$work/out" "$work/err"; }
}

# The browser never reaches the network: every host name resolves to nothing.
chrome() {
  timeout 60 "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --no-first-run --user-data-dir="$work/profile" --host-resolver-rules="MAP * ~NOTFOUND" \
    "$@" 2>>"$work/chrome.log"
}
dom() {  # dom <name> [kind]: renders $work/<name>.html (a <kind> page, default <name>), leaves
  # $work/<name>.dom and <name>.png
  local name="$1" kind="${2:-$1}"
  chrome --dump-dom "file://$work/$name.html" >"$work/$name.dom" ||
    fail "$name: chromium could not render the page"
  grep -q 'data-rendered="yes"' "$work/$name.dom" || fail "$name: the page's script did not run"
  grep -q "data-kind=\"$kind\"" "$work/$name.dom" || fail "$name: not a $kind page"
  chrome --screenshot="$work/$name.png" --window-size=1400,1000 --hide-scrollbars \
    "file://$work/$name.html" >/dev/null
  [ -s "$work/$name.png" ] || fail "$name: no screenshot"
  if grep -Eq "https?:|src=[\"']|<link|@import|url\\([^#]" "$work/$name.html"; then
    fail "$name: the page refers to something outside itself"
  fi
}
in_dom() {  # in_dom <kind> <extended regex> <description>
  grep -Eq -- "$2" "$work/$1.dom" || fail "$1: $3 (no /$2/ in the DOM)"
}

# conformance: a seeded functional bug, --report and --junit written by the run itself, and the
# same page again from its --json by `shardcheck report` (nothing runs twice). The highlighted
# row is the step `shardcheck replay` says failed, and it shows the engine's and model's answers.
run 1 "conformance, seeded bug" "$shardcheck" conformance --iterations 2000 --seed 7 \
  --harness store --bug cache_not_drained_after_reset --json \
  --report "$work/conformance.html" --junit "$work/conformance.xml"
tail -n 1 "$work/out" >"$work/conformance.json"
grep -q "^report: $work/conformance.html" "$work/err" || fail "the run does not say where its report is"
run 0 "report from --json" "$shardcheck" report "$work/conformance.json" -o "$work/again.html"
cmp -s "$work/conformance.html" "$work/again.html" ||
  fail "shardcheck report draws the run's --json otherwise than --report"
token="$(grep -o '"replay":"shardcheck replay ss1:[^"]*"' "$work/conformance.json" | head -n 1 |
  sed 's/^"replay":"shardcheck replay //; s/"$//')"
run 1 "replay" "$shardcheck" replay "$token"
if grep -q 'violation at the end-of-sequence checks' "$work/out"; then
  step=$(($(grep -c '^  [0-9]*\. ' "$work/out") + 1))  # the table's row after the last op
else
  step="$(grep -o 'violation at step [0-9]*' "$work/out" | grep -o '[0-9]*$')"
fi
dom conformance
in_dom conformance "<tr class=\"divergence\"[^>]*><td class=\"num\">$step</td><td class=\"mono\">[^<]+<span class=\"tag bad\">first divergence</span></td><td class=\"mono\">[^<]+</td><td class=\"mono\">[^<]+</td>" \
  "the highlighted row is step $step, the one replay names, with the engine's and the model's answers"
in_dom conformance 'engine returned</th><th>the model holds' "engine beside model"
in_dom conformance 'minimized from [0-9]+ to [0-9]+ ops' "the original length"
in_dom conformance 'id="gtest-0"' "the GoogleTest"

# crash: a seeded crash bug: the power cut as strips per extent.
run 1 "crash, seeded bug" "$shardcheck" crash --iterations 2000 --seed 7 --harness store \
  --bug delete_acknowledged_before_tombstone --json --report "$work/crash.html" \
  --results "$work/bug-results"
dom crash
in_dom crash 'class="strip" data-extent="[0-9]+"' "a strip per extent"
in_dom crash 'class="page (kept|lost|torn)"' "the pending pages"
in_dom crash 'Power was cut at step [0-9]+' "the step of the power cut"
in_dom crash '<tr class="divergence"' "the failing step"

# concurrency: the pool-exhaustion deadlock: two fibers each holding part of the read budget.
run 1 "concurrency, seeded deadlock" "$shardcheck" concurrency --harness readers-reset \
  --bug get_reserves_read_buffer_per_part --iterations 2000 --seed 1 --json \
  --report "$work/concurrency.html" --junit "$work/concurrency.xml"
dom concurrency
in_dom concurrency 'class="lane" data-fiber="2"' "a lane per fiber"
in_dom concurrency 'class="failure-label"[^>]*>deadlock at step [0-9]+' "the deadlock on the timeline"
holders="$(grep -oE '<tr data-fiber="[0-9]+"><td>fiber [0-9]+</td><td>blocked: waits on a condition variable</td><td class="mono">([^<]|<br>)*read budget: took [0-9]+ bytes' \
  "$work/concurrency.dom" | wc -l)"
[ "$holders" -ge 2 ] || fail "concurrency: not two blocked fibers each holding part of the read budget ($holders)"
in_dom concurrency '<svg class="history"' "the history bars"

# concurrency by a systematic search (dfs): the same finding record as the portfolio's, so the
# same page, and the JUnit XML, from a run that goes through no campaign. The deadlock the page
# draws is the one the printed schedule replays.
run 1 "concurrency --strategy dfs, seeded deadlock" "$shardcheck" concurrency \
  --harness readers-reset --bug get_reserves_read_buffer_per_part --strategy dfs --depth 1 \
  --iterations 20000 --seed 1 --json --report "$work/concurrency-dfs.html" \
  --junit "$work/concurrency-dfs.xml"
grep -q "^report: $work/concurrency-dfs.html" "$work/err" || fail "dfs: the run does not say where its report is"
tail -n 1 "$work/out" >"$work/concurrency-dfs.json"
grep -q '"record":"finding"' "$work/concurrency-dfs.json" ||
  fail "dfs: --json holds no finding record"
replay="$(grep -o '"replay":"shardcheck concurrency [^"]*"' "$work/concurrency-dfs.json" | head -n 1 |
  sed 's/^"replay":"//; s/"$//')"
run 1 "the dfs finding replays" bash -c "${replay/shardcheck/\"$shardcheck\"}"
grep -q 'deadlock' "$work/out" || fail "dfs: the replay is not the deadlock"
dom concurrency-dfs concurrency
in_dom concurrency-dfs 'class="lane" data-fiber="2"' "a lane per fiber"
in_dom concurrency-dfs 'class="failure-label"[^>]*>deadlock at step [0-9]+' "the deadlock on the timeline"
in_dom concurrency-dfs '<li>found by dfs' "found by the systematic search"
holders="$(grep -oE '<tr data-fiber="[0-9]+"><td>fiber [0-9]+</td><td>blocked: waits on a condition variable</td><td class="mono">([^<]|<br>)*read budget: took [0-9]+ bytes' \
  "$work/concurrency-dfs.dom" | wc -l)"
[ "$holders" -ge 2 ] || fail "dfs: not two blocked fibers each holding part of the read budget ($holders)"
in_dom concurrency-dfs '<svg class="history"' "the history bars"

# crash-concurrency: a seeded bug only a power cut during a race shows. The page draws the
# timeline with the cut at the scheduling point the token replays, the crasher's lane, the
# pending pages (or that none were), the history with the crash across it, and the sizes.
run 1 "crash-concurrency, seeded bug" "$shardcheck" crash-concurrency --harness chunk-writers \
  --bug commit_listed_before_written --strategy random --iterations 3000 --seed 1 --json \
  --report "$work/crash-concurrency.html" --junit "$work/crash-concurrency.xml"
tail -n 1 "$work/out" >"$work/crash-concurrency.json"
token="$(grep -o '"token":"sx1:[^"]*"' "$work/crash-concurrency.json" | head -n 1 |
  sed 's/^"token":"//; s/"$//')"
run 1 "the crash-concurrency token replays" "$shardcheck" replay "$token"
cut="$(grep -o 'power cut at step [0-9]*' "$work/out" | head -n 1 | grep -o '[0-9]*$')"
[ -n "$cut" ] || fail "crash-concurrency: the replay names no power-cut step"
dom crash-concurrency
in_dom crash-concurrency '>fiber [0-9]+ \(crasher\)</text>' "the crasher's lane"
in_dom crash-concurrency "class=\"power-cut-mark\" data-step=\"$cut\"" "the cut on the timeline at step $cut, where the token cuts"
in_dom crash-concurrency "class=\"joint-cut\" data-schedule-step=\"$cut\"" "the power cut's section names step $cut"
in_dom crash-concurrency '(class="page (kept|lost|torn)"|No write was pending)' "the pending pages"
in_dom crash-concurrency '<tr data-size="minimized">' "the minimized size"
in_dom crash-concurrency '<svg class="history"' "the history bars"
in_dom crash-concurrency 'crash-consistency' "the kind"
# The replay writes the same kind of page.
run 1 "replay --report" "$shardcheck" replay "$token" --report "$work/replay.html" \
  --junit "$work/replay.xml"
dom replay crash-concurrency
in_dom replay "class=\"power-cut-mark\" data-step=\"$cut\"" "the replay's page cuts at step $cut"

# linearize: a user's history, with a hostile key and bytes that are not UTF-8.
{
  printf '%s\n' '{"process":0,"type":"invoke","f":"write","key":"<script>document.body.setAttribute(\"data-pwned\",\"1\")</script>","value":"1"}'
  printf '%s\n' '{"process":0,"type":"ok","f":"write","key":"<script>document.body.setAttribute(\"data-pwned\",\"1\")</script>","value":"1"}'
  printf '{"process":1,"type":"invoke","f":"write","key":"k\xff\xfe","value":"a"}\n'
  printf '{"process":1,"type":"ok","f":"write","key":"k\xff\xfe","value":"a"}\n'
  printf '{"process":1,"type":"invoke","f":"write","key":"k\xff\xfe","value":"b"}\n'
  printf '{"process":1,"type":"ok","f":"write","key":"k\xff\xfe","value":"b"}\n'
  printf '{"process":2,"type":"invoke","f":"read","key":"k\xff\xfe","value":null}\n'
  printf '{"process":2,"type":"ok","f":"read","key":"k\xff\xfe","value":"a"}\n'
} >"$work/history.jsonl"
run 1 "linearize, not linearizable" "$shardcheck" linearize "$work/history.jsonl" --model kv \
  --report "$work/linearize.html"
dom linearize
in_dom linearize '<svg class="history"[^>]*data-operations="4"' "a bar per operation"
in_dom linearize 'class="op( [a-z]+)* unplaced"' "the operation that could not be placed"
in_dom linearize 'Longest partial linearization' "the longest partial linearization"
in_dom linearize 'k<span class="hex">\\xff</span><span class="hex">\\xfe</span>' "bytes that are not UTF-8 as hex"
in_dom linearize '&lt;script&gt;document.body' "the <script> key as text"
if grep -q '<body[^>]*data-pwned' "$work/linearize.dom"; then fail "linearize: the key's script ran"; fi

# campaign: shards' results files merged, with the crash finding among them.
run 0 "campaign shard 0" "$shardcheck" conformance --iterations 20 --seed 3 --shard 0/2 --results "$work/results"
run 0 "campaign shard 1" "$shardcheck" conformance --iterations 20 --seed 3 --shard 1/2 --results "$work/results"
cp "$work"/bug-results/*.jsonl "$work/results/"
run 1 "merge" "$shardcheck" merge "$work/results" --report "$work/campaign.html" --junit "$work/merge.xml"
dom campaign
in_dom campaign 'blind spot' "the blind spots"
in_dom campaign 'href="#finding-0"' "findings link to their sections"
in_dom campaign 'id="finding-0"' "each finding's section"
in_dom campaign '<table class="totals">' "totals per suite"

# JUnit XML: the shape CI servers read.
for xml in conformance concurrency concurrency-dfs crash-concurrency replay merge; do
  xmllint --noout --schema "$xsd" "$work/$xml.xml" 2>"$work/xmllint.log" ||
    { fail "$xml.xml does not validate"; cat "$work/xmllint.log"; }
  grep -q '<failure message=' "$work/$xml.xml" || fail "$xml.xml has no failure"
done
grep -q 'shardcheck replay ss1:' "$work/conformance.xml" || fail "the JUnit failure has no replay command"
grep -q -- "--schedule &#39;sched1:" "$work/concurrency-dfs.xml" ||
  fail "the dfs JUnit failure has no schedule"
grep -q 'shardcheck replay sx1:' "$work/crash-concurrency.xml" ||
  fail "the crash-concurrency JUnit failure has no token"

# Bad input: named, exit 2.
run 2 "report of a missing file" "$shardcheck" report "$work/none.json" -o "$work/x.html"
echo '{"hello":1}' >"$work/bad.json"
run 2 "report of what is not checker output" "$shardcheck" report "$work/bad.json" -o "$work/x.html"
grep -q "not checker output" "$work/err" || fail "report does not say what the input is not"

if [ -n "${REPORT_SCREENSHOTS:-}" ]; then
  mkdir -p "$REPORT_SCREENSHOTS"
  for kind in conformance crash concurrency crash-concurrency linearize campaign; do
    cp "$work/$kind.png" "$REPORT_SCREENSHOTS/report-$kind.png"
  done
fi
[ "$failures" -eq 0 ] && echo "report_browser_test: ok" || echo "report_browser_test: $failures failures"
[ "$failures" -eq 0 ]
