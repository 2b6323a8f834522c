#!/usr/bin/env bash
# Every test: Catch2 unit tests, Lua scenarios, multi-node cluster tests.
# Usage: test/run_all.sh <build-dir> <skynet-binary>
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
bin=${2:-./skynet}
cd "$root"
total_p=0; total_f=0

count() { # parse "N passed, M failed" from the last matching line of a log
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
    if [ -z "$line" ]; then total_f=$((total_f + 1)); return; fi
    total_p=$((total_p + $(echo "$line" | cut -d' ' -f1)))
    total_f=$((total_f + $(echo "$line" | cut -d' ' -f3)))
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== unit tests"
# (leak checks stay on for the unit tests under ASan; see the Makefile's asan)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1 timeout -k 5 600 "$build/unit-tests" >"$log" 2>&1
rc=$?
cat "$log"
# Catch2 v2 summary: "All tests passed (A assertions in T test cases)" or
# "test cases: T | P passed | F failed"
if grep -q '^All tests passed' "$log"; then
    t=$(sed -n 's/.* in \([0-9]*\) test case.*/\1/p' "$log" | tail -n 1)
    echo "${t:-0} passed, 0 failed" >>"$log"
else
    p=$(sed -n 's/^test cases: *[0-9]* | *\([0-9]*\) passed.*/\1/p' "$log" | tail -n 1)
    f=$(sed -n 's/^test cases:.*| *\([0-9]*\) failed.*/\1/p' "$log" | tail -n 1)
    [ "$rc" -ne 0 ] && [ -z "$f" ] && f=1
    echo "${p:-0} passed, ${f:-1} failed" >>"$log"
fi
count "$log"

echo "== scenarios"
./test/run_scenarios.sh "$bin" | tee "$log"
count "$log"

for t in test/node/*.sh test/cluster/*.sh; do
    [ -e "$t" ] || continue
    echo "== $t"
    timeout -k 5 300 "$t" "$bin" | tee "$log"
    count "$log"
done

echo "$total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
