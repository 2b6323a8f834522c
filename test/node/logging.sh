#!/usr/bin/env bash
# The logger's keys: rotation by size (logrotate_size, logrotate_keep), SIGHUP
# reopen under logrotate's create and copytruncate modes, timestamps
# (logtimestamp, logtimeformat), and the memory bound (logbuffer) under a
# 50 MiB flood. Usage: logging.sh <skynet>
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/skynet}
case "$bin" in /*) ;; *) bin=$root/$bin ;; esac
tmp=$(mktemp -d)
pids=()
stop() { kill -9 "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
cleanup() {
    for p in "${pids[@]}"; do stop "$p"; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
passed=0; failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

# config <name> <lines> <then> <extra lines...>
config() {
    local name=$1 lines=$2 then=$3; shift 3
    {
        echo "root = \"$root/\""
        echo "thread = 2"
        echo "harbor = 0"
        echo "start = \"svc_logflood\""
        echo "luaservice = root..\"service/?.lua;\"..root..\"test/node/?.lua\""
        echo "lualoader = root..\"lualib/loader.lua\""
        echo "lua_path = root..\"lualib/?.lua;\"..root..\"lualib/?/init.lua\""
        echo "logger = \"$tmp/$name.log\""
        echo "flood_lines = $lines"
        echo "flood_then = \"$then\""
        echo "logdrain = 120"
        for l in "$@"; do echo "$l"; done
    } > "$tmp/$name.cfg"
}
wait_for() {
    local i
    for ((i = 0; i < $3 * 20; i++)); do
        grep -aq -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}
run() { timeout -k 5 180 "$bin" "$tmp/$1.cfg" >"$tmp/$1.out" 2>&1; }

# 1. rotation by size keeps logrotate_keep old files
config rot 5000 abort 'logrotate_size = "64K"' 'logrotate_keep = 3'
run rot; rc=$?
big=0
for f in "$tmp"/rot*.log; do [ "$(stat -c %s "$f")" -gt 65536 ] && big=1; done
if [ $rc -eq 0 ] && [ -f "$tmp/rot.log" ] && [ -f "$tmp/rot.1.log" ] && [ -f "$tmp/rot.3.log" ] \
    && [ ! -e "$tmp/rot.4.log" ] && [ $big -eq 0 ] && grep -q "FLOOD 00005000" "$tmp/rot.log"; then
    pass "logrotate_size = 64K, logrotate_keep = 3: rot.log rot.1.log .. rot.3.log, each <= 64 KiB"
else
    fail "rotation" "rc=$rc $(ls -l "$tmp" | grep rot)"
fi

# 2. SIGHUP: logrotate's create mode (rename, signal) and copytruncate mode
config hup 10 tick
timeout -k 5 120 "$bin" "$tmp/hup.cfg" >"$tmp/hup.out" 2>&1 &
pid=$!; pids+=($pid)
if wait_for "$tmp/hup.log" "tick 3$" 30; then
    mv "$tmp/hup.log" "$tmp/hup.log.1"
    kill -HUP $pid
    wait_for "$tmp/hup.log" "tick" 30 && ! grep -q "FLOOD" "$tmp/hup.log" \
        && pass "create mode: renamed, SIGHUP, a new file" || fail "create mode" "no new file"
    cp "$tmp/hup.log" "$tmp/hup.log.2" && : > "$tmp/hup.log"
    sleep 0.3 # a few ticks land after the truncation
    if wait_for "$tmp/hup.log" "tick" 30; then
        nul=$(tr -cd '\000' < "$tmp/hup.log" | wc -c)
        first=$(head -c 200 "$tmp/hup.log" | head -n 1)
        [ "$nul" -eq 0 ] && echo "$first" | grep -Eq '^[0-9]{2}/[0-9]{2}/[0-9]{2} [0-9:.]+ \[:[0-9a-f]{8}\] tick' \
            && pass "copytruncate mode: writing goes on at the start, no hole" \
            || fail "copytruncate" "$nul NUL bytes, first line: $first"
    else
        fail "copytruncate" "nothing written after the truncation"
    fi
    kill -TERM $pid; wait $pid
else
    fail "SIGHUP" "node did not tick"
fi

# 3. timestamps: off for a file, on for stdout, a custom format
config nots 3 abort 'logtimestamp = false'
run nots
grep -q '^\[:00000000\] Shutdown requested by abort' "$tmp/nots.log" && ! grep -Eq '^[0-9]{2}/' "$tmp/nots.log" \
    && pass "logtimestamp = false: file lines without a timestamp" || fail "logtimestamp = false" "$(head -2 "$tmp/nots.log")"
config ts 3 abort 'logtimestamp = true'
sed -i '/^logger = /d' "$tmp/ts.cfg"
run ts
grep -Eq '^[0-9]{2}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{2} \[:[0-9a-f]{8}\] FLOOD 00000001' "$tmp/ts.out" \
    && pass "logtimestamp = true: stdout lines in upstream's format" || fail "logtimestamp = true" "$(grep -m1 FLOOD "$tmp/ts.out")"
config iso 3 abort 'logtimeformat = "%Y-%m-%dT%H:%M:%S"'
run iso
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{2} \[:[0-9a-f]{8}\] FLOOD' "$tmp/iso.log" \
    && pass "logtimeformat: a custom format" || fail "logtimeformat" "$(grep -m1 FLOOD "$tmp/iso.log")"

# 4. logbuffer bounds the logger's memory under a 50 MiB flood; what was
# dropped is counted in the log (the count takes in any line dropped, such as
# a "May overload" warning of the logger's queue: a few more than the flood's)
lines=250000
config bound $lines abort 'logbuffer = "256K"'
run bound; rc=$?
written=$(grep -c '\] FLOOD ' "$tmp/bound.log")
dropped=$(sed -n 's/.*\] \([0-9]*\) lines dropped (logbuffer full)$/\1/p' "$tmp/bound.log" | awk '{ s += $1 } END { if (NR) print s }')
peak=$(sed -n 's/^FLOODED [0-9]* peak \([0-9]*\) KiB/\1/p' "$tmp/bound.out")
others=$((written + ${dropped:-0} - lines))
# sanitizers keep freed memory in quarantine: RSS says nothing there
rss_limit=131072
case "$bin" in *asan*|*tsan*) rss_limit=99999999 ;; esac
[ $rc -eq 0 ] && [ -n "$dropped" ] && [ $others -ge 0 ] && [ $others -le 20 ] && [ "${peak:-999999}" -lt $rss_limit ] \
    && pass "logbuffer = 256K: $written written + $dropped reported dropped = $lines + $others others, peak RSS $peak KiB" \
    || fail "logbuffer" "rc=$rc written=$written dropped=$dropped peak=$peak"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
