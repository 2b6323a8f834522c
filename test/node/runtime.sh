#!/usr/bin/env bash
# Process-level tests of the runtime: exit codes, signals, daemon, logging,
# external C services, the endless-loop monitor. Usage: runtime.sh <skynet>
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/skynet}
case "$bin" in /*) ;; *) bin=$root/$bin ;; esac
tmp=$(mktemp -d)
pids=()
# Background nodes run under `timeout`; stop the node itself, not only the
# timeout wrapper, or a killed wrapper leaves the node orphaned.
stop() {
    pkill -9 -P "$1" 2>/dev/null
    kill -9 "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}
cleanup() {
    for p in "${pids[@]}"; do stop "$p"; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
passed=0; failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

# config <name> <extra lines...>: writes $tmp/<name>.cfg
config() {
    local name=$1; shift
    {
        echo "root = \"$root/\""
        echo "thread = 2"
        echo "harbor = 0"
        echo "start = \"svc_node_main\""
        echo "luaservice = root..\"service/?.lua;\"..root..\"test/node/?.lua\""
        echo "lualoader = root..\"lualib/loader.lua\""
        echo "lua_path = root..\"lualib/?.lua;\"..root..\"lualib/?/init.lua\""
        echo "cpath = root..\"examples/cservice/?.so\""
        for l in "$@"; do echo "$l"; done
    } > "$tmp/$name.cfg"
}

# wait_for <file> <pattern> <seconds>: poll a file for a line (bounded)
wait_for() {
    local i
    for ((i = 0; i < $3 * 20; i++)); do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# 1. usage and config errors exit 1 with one clear line
out=$(timeout 30 "$bin" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "Usage" && pass "no config: usage, exit 1" || fail "no config" "rc=$rc $out"

out=$(timeout 30 "$bin" "$tmp/none.cfg" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "cannot open" && pass "missing config: exit 1" || fail "missing config" "rc=$rc $out"

echo 'thread = = 2' > "$tmp/syntax.cfg"
out=$(timeout 30 "$bin" "$tmp/syntax.cfg" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "syntax.cfg:1" && pass "config syntax error: exit 1" || fail "config syntax" "rc=$rc $out"

config thread0 'thread = 0'
sed -i '/^thread = 2$/d' "$tmp/thread0.cfg"
out=$(timeout 30 "$bin" "$tmp/thread0.cfg" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "Invalid thread 0" && pass "thread = 0: exit 1" || fail "thread 0" "rc=$rc $out"

# 2. a bootstrap that cannot start stops the node with exit 1
config boot 'bootstrap = "snlua no_such_bootstrap"'
out=$(timeout 60 "$bin" "$tmp/boot.cfg" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "Bootstrap error : snlua no_such_bootstrap" \
    && pass "bootstrap failure: exit 1" || fail "bootstrap failure" "rc=$rc $(echo "$out" | tail -3)"

# 3. an unknown start service is reported; the node keeps running; SIGTERM ends it with 0
config nostart 'start = "no_such_start"'
timeout 60 "$bin" "$tmp/nostart.cfg" >"$tmp/nostart.out" 2>&1 &
pid=$!; pids+=($pid)
if wait_for "$tmp/nostart.out" "KILL self" 30 && grep -q "cannot open" "$tmp/nostart.out" && kill -0 $pid 2>/dev/null; then
    kill -TERM $pid; wait $pid; rc=$?
    [ $rc -eq 0 ] && pass "unknown start: logged, node alive, SIGTERM exits 0" || fail "unknown start" "rc=$rc"
else
    fail "unknown start" "$(tail -5 "$tmp/nostart.out")"
fi

# 4. SIGHUP makes the file logger reopen its file
config hup "logger = \"$tmp/hup.log\"" 'node_case = "idle"'
timeout 60 "$bin" "$tmp/hup.cfg" >"$tmp/hup.out" 2>&1 &
pid=$!; pids+=($pid)
if wait_for "$tmp/hup.out" READY 30 && wait_for "$tmp/hup.log" "LAUNCH snlua svc_node_main" 30; then
    mv "$tmp/hup.log" "$tmp/hup.log.1"
    kill -HUP $pid
    for ((i = 0; i < 600; i++)); do [ -e "$tmp/hup.log" ] && break; sleep 0.05; done
    kill -TERM $pid; wait $pid; rc=$?
    [ -e "$tmp/hup.log" ] && [ $rc -eq 0 ] && grep -q "Shutdown requested" "$tmp/hup.log" \
        && grep -Eq '^[0-9]{2}/[0-9]{2}/[0-9]{2} [0-9:.]+ \[:00000002\] LAUNCH' "$tmp/hup.log.1" \
        && pass "SIGHUP reopens the log; file lines carry timestamps" || fail "SIGHUP" "rc=$rc"
else
    fail "SIGHUP" "node did not start"
fi

# 5. daemon: pid file while running, removed at exit
config daemon "daemon = \"$tmp/node.pid\"" "logger = \"$tmp/daemon.log\"" 'node_case = "idle"'
timeout 30 "$bin" "$tmp/daemon.cfg" >/dev/null 2>&1
for ((i = 0; i < 600; i++)); do [ -s "$tmp/node.pid" ] && break; sleep 0.05; done
dpid=$(cat "$tmp/node.pid" 2>/dev/null)
if [ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null; then
    pids+=($dpid)
    out=$(timeout 30 "$bin" "$tmp/daemon.cfg" 2>&1); rc=$?
    kill -TERM "$dpid"
    for ((i = 0; i < 600; i++)); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.05; done
    [ $rc -eq 1 ] && echo "$out" | grep -q "already running" && [ ! -e "$tmp/node.pid" ] \
        && pass "daemon: pid file, second start refused, removed at exit" || fail "daemon" "rc=$rc $out"
else
    fail "daemon" "no pid file"
fi

# 6. an external C service from cpath answers through the C ABI
config csvc 'node_case = "cservice"'
timeout 60 "$bin" "$tmp/csvc.cfg" >"$tmp/csvc.out" 2>&1 &
pid=$!; pids+=($pid)
wait_for "$tmp/csvc.out" "CSERVICE echo: hi" 30 && wait_for "$tmp/csvc.out" "echotext #1 from :00000008: hi" 30 \
    && pass "external C service" || fail "external C service" "$(tail -3 "$tmp/csvc.out")"
stop $pid

# 7. the monitor reports a service stuck in one message
config endless 'node_case = "endless"'
timeout 60 "$bin" "$tmp/endless.cfg" >"$tmp/endless.out" 2>&1 &
pid=$!; pids+=($pid)
if wait_for "$tmp/endless.out" "maybe in an endless loop" 30; then
    pass "endless loop reported by the monitor"
else
    fail "endless loop" "$(tail -3 "$tmp/endless.out")"
fi
stop $pid

# 8. LOGON/LOGOFF write the per-service message log under logpath
mkdir -p "$tmp/logpath"
config logon "logpath = \"$tmp/logpath\"" 'node_case = "logon"'
out=$(timeout 60 "$bin" "$tmp/logon.cfg" 2>&1)
h=$(echo "$out" | sed -n 's/^LOGGED //p')
f="$tmp/logpath/$h.log"
[ -n "$h" ] && grep -q "open time" "$f" && grep -q "close time" "$f" && grep -Eq '^:[0-9a-f]{8} 10 [0-9]+ [0-9]+ ' "$f" \
    && pass "LOGON/LOGOFF message log" || fail "LOGON" "$(echo "$out" | tail -3)"

# 9. a Lua log service replaces the C logger
config userlog 'logservice = "snlua"' 'logger = "svc_node_userlog"' 'node_case = "userlog"'
timeout 60 "$bin" "$tmp/userlog.cfg" >"$tmp/userlog.out" 2>&1 &
pid=$!; pids+=($pid)
if wait_for "$tmp/userlog.out" "USERLOG :00000008 to the lua logger" 30; then
    kill -HUP $pid
    wait_for "$tmp/userlog.out" "USERLOG SIGHUP" 30 && pass "Lua logservice gets text and SIGHUP" || fail "userlog" "no SIGHUP"
else
    fail "userlog" "$(tail -3 "$tmp/userlog.out")"
fi
stop $pid

# 10. print is line-buffered into a pipe
config print 'node_case = "print"'
timeout 60 "$bin" "$tmp/print.cfg" 2>&1 | { read -r -t 30 a; while [ "$a" != "LINE1" ] && read -r -t 30 a; do :; done; read -r -t 30 b; echo "$a $b"; } >"$tmp/print.out"
pkill -9 -f "$tmp/print.cfg" 2>/dev/null
grep -q "LINE1 LINE2" "$tmp/print.out" && pass "print reaches a pipe line by line" || fail "print" "$(cat "$tmp/print.out")"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
