#!/usr/bin/env bash
# Every way the node stops writes the logger's backlog first: skynet.abort,
# the last service exiting, SIGTERM, SIGINT, a bootstrap failing with a
# backlog, daemon mode; per-service message logs (LOGON) too; and past
# `logdrain` a final line counts what was not written.
# Usage: logdrain.sh <skynet>
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/skynet}
case "$bin" in /*) ;; *) bin=$root/$bin ;; esac
tmp=$(mktemp -d); [ -n "${KEEP:-}" ] && echo "tmp=$tmp"
pids=()
stop() {
    kill -9 "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}
cleanup() {
    for p in "${pids[@]}"; do stop "$p"; done
    [ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
passed=0; failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

LINES=${LOGDRAIN_LINES:-100000}

# config <name> <extra lines...>: writes $tmp/<name>.cfg logging to $tmp/<name>.log
config() {
    local name=$1; shift
    {
        echo "root = \"$root/\""
        echo "thread = 1" # the flood runs in one callback: the logger waits, a backlog builds
        echo "harbor = 0"
        echo "start = \"svc_logflood\""
        echo "luaservice = root..\"service/?.lua;\"..root..\"test/node/?.lua\""
        echo "lualoader = root..\"lualib/loader.lua\""
        echo "lua_path = root..\"lualib/?.lua;\"..root..\"lualib/?/init.lua\""
        echo "cpath = root..\"examples/cservice/?.so\""
        echo "logger = \"$tmp/$name.log\""
        echo "flood_lines = $LINES"
        echo "logdrain = 120"
        for l in "$@"; do echo "$l"; done
    } > "$tmp/$name.cfg"
}

# (grep -c prints 0 itself when nothing matches; the fallback is for a missing file)
flooded() { local n; n=$(grep -c '\] FLOOD ' "$1" 2>/dev/null); echo "${n:-0}"; }

# wait_for <file> <pattern> <seconds>
wait_for() {
    local i
    for ((i = 0; i < $3 * 20; i++)); do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# run_to_end <name> <want-rc>: the node stops by itself; all lines written
run_to_end() {
    local name=$1 want=$2 rc n
    timeout -k 5 180 "$bin" "$tmp/$name.cfg" >"$tmp/$name.out" 2>&1; rc=$?
    n=$(flooded "$tmp/$name.log")
    if [ "$rc" -eq "$want" ] && [ "$n" -eq "$LINES" ]; then
        pass "$name: $n of $LINES lines written, exit $rc"
    else
        fail "$name" "rc=$rc (want $want), $n of $LINES lines written; $(tail -2 "$tmp/$name.out")"
    fi
}

# 1. skynet.abort() right after the flood
config abort 'flood_then = "abort"'
run_to_end abort 0

# 2. the last service exits (it is the bootstrap: nothing else runs)
config last 'bootstrap = "snlua svc_logflood"' 'flood_then = "exit"'
run_to_end last 0

# 3. the bootstrap fails while loading, after logging
config booterr 'bootstrap = "snlua svc_logflood"' 'flood_then = "error"'
run_to_end booterr 1
grep -q "Bootstrap error : snlua svc_logflood" "$tmp/booterr.log" \
    && pass "bootstrap failure is logged after the backlog" || fail "bootstrap failure line" "missing"

# 4. SIGTERM and SIGINT while the logger has a backlog
for sig in TERM INT; do
    name=sig$sig
    config "$name" 'flood_then = "wait"'
    timeout -k 5 180 "$bin" "$tmp/$name.cfg" >"$tmp/$name.out" 2>&1 &
    pid=$!; pids+=($pid)
    if wait_for "$tmp/$name.out" FLOODED 120; then
        kill -$sig $pid; wait $pid; rc=$?
        n=$(flooded "$tmp/$name.log")
        [ $rc -eq 0 ] && [ "$n" -eq "$LINES" ] && pass "SIG$sig: $n of $LINES lines written, exit 0" \
            || fail "SIG$sig" "rc=$rc, $n of $LINES lines"
    else
        fail "SIG$sig" "no flood: $(tail -2 "$tmp/$name.out")"
    fi
done

# 5. daemon mode, stopped by abort: the command returns at once, the node
# goes on in the background and removes its pid file when it is done
config daemon "daemon = \"$tmp/node.pid\"" 'flood_then = "abort"'
timeout -k 5 60 "$bin" "$tmp/daemon.cfg" >/dev/null 2>&1; rc=$?
for ((i = 0; i < 2400; i++)); do
    dpid=$(cat "$tmp/node.pid" 2>/dev/null)
    [ -n "$dpid" ] && pids+=($dpid)
    grep -q "Shutdown requested by abort" "$tmp/daemon.log" 2>/dev/null && [ ! -e "$tmp/node.pid" ] && break
    sleep 0.05
done
n=$(flooded "$tmp/daemon.log")
[ $rc -eq 0 ] && grep -q "Shutdown requested by abort" "$tmp/daemon.log" && [ ! -e "$tmp/node.pid" ] && [ "$n" -eq "$LINES" ] \
    && pass "daemon: $n of $LINES lines written, pid file removed" || fail "daemon" "rc=$rc, $n of $LINES lines"

# 6. LOGON: every message the service handled is in its log at abort
mkdir -p "$tmp/logpath"
config logon "logpath = \"$tmp/logpath\"" 'flood_then = "abort"' 'flood_calls = 2000'
timeout -k 5 180 "$bin" "$tmp/logon.cfg" >"$tmp/logon.out" 2>&1; rc=$?
h=$(sed -n 's/^LOGGED //p' "$tmp/logon.out")
m=$(grep -Ec '^:[0-9a-f]{8} 10 ' "$tmp/logpath/$h.log" 2>/dev/null)
[ $rc -eq 0 ] && [ -n "$h" ] && [ "${m:-0}" -eq 2001 ] && [ "$(flooded "$tmp/logon.log")" -eq "$LINES" ] \
    && pass "LOGON: 2001 of 2001 messages logged at abort" || fail "LOGON" "rc=$rc h=$h m=$m"

# 7. past logdrain what is left is counted in a final line (which counts
# every line thrown away: the flood's and a few others, such as the
# "May overload" warnings and the shutdown line queued behind the flood)
big=$((LINES * 3))
config bound 'flood_then = "abort"' 'logdrain = 0' "flood_lines = $big"
timeout -k 5 180 "$bin" "$tmp/bound.cfg" >"$tmp/bound.out" 2>&1; rc=$?
n=$(flooded "$tmp/bound.log")
lost=$(sed -n 's/.*Shutdown: \([0-9]*\) log lines not written.*/\1/p' "$tmp/bound.log" | awk '{ s += $1 } END { if (NR) print s }')
last=$(tail -n 1 "$tmp/bound.log")
others=$((n + ${lost:-0} - big))
[ $rc -eq 0 ] && [ -n "$lost" ] && [ $others -ge 0 ] && [ $others -le 20 ] && echo "$last" | grep -q "not written" \
    && pass "logdrain = 0: $n written + $lost counted in the final line = $big + $others others" \
    || fail "logdrain bound" "rc=$rc written=$n lost=$lost last=$last"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
