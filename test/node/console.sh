#!/usr/bin/env bash
# The consoles in a real process: service/console.lua reading the node's
# stdin, and the demo (examples/main.lua from config.example) serving its
# debug_console. Usage: console.sh <skynet>
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/skynet}
case "$bin" in /*) ;; *) bin=$root/$bin ;; esac
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do pkill -9 -P "$p"; kill -9 "$p"; done 2>/dev/null # the node under `timeout` too
    rm -rf "$tmp"
}
trap cleanup EXIT
trap '' PIPE	# a node that died must not take this script with it
passed=0; failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

# wait_for <file> <pattern> <seconds>: poll a file for a line (bounded)
wait_for() {
    local i
    for ((i = 0; i < $3 * 20; i++)); do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# stop <pid>: SIGTERM, then wait (bounded by the node's own timeout)
stop() {
    kill -TERM "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

# 1. console: each stdin line launches a service
cat > "$tmp/console.cfg" <<CFG
root = "$root/"
thread = 2
harbor = 0
start = "console"
luaservice = root.."service/?.lua;"..root.."test/scenario/?.lua"
lualoader = root.."lualib/loader.lua"
lua_path = root.."lualib/?.lua;"..root.."lualib/?/init.lua"
CFG
mkfifo "$tmp/stdin"
timeout 120 "$bin" "$tmp/console.cfg" <"$tmp/stdin" >"$tmp/console.out" 2>&1 &
pid=$!; pids+=($pid)
exec 3>"$tmp/stdin"
echo "svc_console_echo" >&3
wait_for "$tmp/console.out" "LAUNCH snlua svc_console_echo" 30 \
    && pass "console: a line launches a lua service" || fail "console launch" "$(tail -5 "$tmp/console.out")"
printf '  svc_console_echo   with  args \r\n' >&3
wait_for "$tmp/console.out" "LAUNCH snlua svc_console_echo with args$" 30 \
    && pass "console: arguments are passed on" || fail "console args" "$(tail -5 "$tmp/console.out")"
echo "console_no_such_service" >&3
wait_for "$tmp/console.out" "console: console_no_such_service : " 30 \
    && pass "console: a failed launch is logged" || fail "console failure" "$(tail -5 "$tmp/console.out")"
echo "snax console_no_such_snax" >&3
wait_for "$tmp/console.out" "console: snax console_no_such_snax : " 30 \
    && pass "console: snax line" || fail "console snax" "$(tail -5 "$tmp/console.out")"
exec 3>&-
wait_for "$tmp/console.out" "console: stdin closed" 30 && kill -0 $pid 2>/dev/null \
    && pass "console: end of stdin stops reading, node runs on" || fail "console eof" "$(tail -5 "$tmp/console.out")"
stop $pid

# 2. the demo's debug_console (config.example with free ports)
sed -e 's/^console_port = .*/console_port = 0/' -e 's/^echo_port = .*/echo_port = 0/' \
    "$root/config.example" >"$tmp/demo.cfg"
(cd "$root" && exec timeout 120 "$bin" "$tmp/demo.cfg") >"$tmp/demo.out" 2>&1 &
pid=$!; pids+=($pid)
if wait_for "$tmp/demo.out" "Start debug console at 127.0.0.1:" 30; then
    port=$(sed -n 's/.*Start debug console at 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/demo.out" | head -n 1)
    if exec 4<>"/dev/tcp/127.0.0.1/$port"; then
        printf 'list\nservice\nnosuch\n' >&4
        reply=""
        while IFS= read -r -t 10 line <&4; do
            reply+="$line"$'\n'
            [ "$line" = "<CMD Error>" ] && break
        done
        exec 4>&-
        echo "$reply" | grep -q "^Welcome to skynet console$" \
            && echo "$reply" | grep -q "snlua service_cell echo" \
            && echo "$reply" | grep -q "^service_provider	:" \
            && echo "$reply" | grep -q "^Invalid command, type help for command list$" \
            && pass "demo: debug_console answers" || fail "demo console" "$reply"
    else
        fail "demo console" "cannot connect to port $port"
    fi
else
    fail "demo console" "$(tail -5 "$tmp/demo.out")"
fi
stop $pid

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
