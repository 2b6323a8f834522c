#!/usr/bin/env bash
# Run each libFuzzer binary for a bounded time, with its corpus under
# build-fuzz/corpus/<name> (seeded from test/fuzz/seeds/<name> when present).
# Usage: test/fuzz/run.sh <seconds> <fuzz-binary>...
set -u
secs=$1; shift
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
bad=0
for bin in "$@"; do
    name=${bin##*/fuzz-}
    corpus=build-fuzz/corpus/$name
    mkdir -p "$corpus" build-fuzz/crashes
    seeds=()
    [ -d "test/fuzz/seeds/$name" ] && seeds=("test/fuzz/seeds/$name")
    log=build-fuzz/$name.log
    timeout -k 10 $((secs + 60)) "$bin" -max_total_time="$secs" -rss_limit_mb=2048 \
        -artifact_prefix=build-fuzz/crashes/"$name"- "$corpus" "${seeds[@]}" >"$log" 2>&1
    rc=$?
    execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$')
    [ -z "$execs" ] && execs=$(grep -Eo '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')
    if [ "$rc" -eq 0 ]; then
        echo "fuzz $name: ${execs:-?} runs in ${secs}s, no findings"
    else
        bad=$((bad + 1))
        echo "fuzz $name: FINDING (exit $rc), see $log and build-fuzz/crashes/"
        tail -n 30 "$log" | sed 's/^/    /'
    fi
done
echo "$(($# - bad)) passed, $bad failed"
[ "$bad" -eq 0 ]
