#!/usr/bin/env bash
# The sproto example end to end: examples/sproto's server node (watchdog,
# gate, one agent per client) on a free loopback port, and its client node:
# every request gets its answer, the server's heartbeat request arrives, and
# quit closes the connection.
# Usage: sproto_example.sh <skynet>
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/skynet}
case "$bin" in /*) ;; *) bin=$root/$bin ;; esac
tmp=$(mktemp -d)
server=
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    [ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
passed=0; failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

wait_for() {
    local i
    for ((i = 0; i < $3 * 20; i++)); do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

port=$(/usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

config() {
    local file=$1 base=$2; shift 2
    {
        sed "s|^root = .*|root = \"$root/\"|" "$root/examples/sproto/$base"
        echo "example_port = \"$port\""
        for l in "$@"; do echo "$l"; done
    } >"$file"
}

config "$tmp/server.cfg" config
timeout -k 5 60 "$bin" "$tmp/server.cfg" >"$tmp/server.out" 2>&1 &
server=$!
if ! wait_for "$tmp/server.out" "Watchdog listen on" 20; then
    fail "server starts" "$(tail -n 5 "$tmp/server.out")"
fi

config "$tmp/client.cfg" config.client 'client_gets = "hello nothing"'
timeout -k 5 30 "$bin" "$tmp/client.cfg" >"$tmp/client.out" 2>&1
out=$(grep -v LAUNCH "$tmp/client.out")

# expect <name> <awk program over the client's output>
expect() {
    if awk "$2" <<<"$out"; then pass "$1"; else fail "$1" "$(tail -n 12 <<<"$out")"; fi
}
expect "handshake answered" '/^RESPONSE\t1$/ { r = 1; next } r && /\tmsg\tWelcome to skynet/ { ok = 1 } { r = 0 } END { exit !ok }'
expect "get after set answers the value" '/^RESPONSE\t3$/ { r = 1; next } r && /^\tresult\tworld$/ { ok = 1 } { r = 0 } END { exit !ok }'
expect "get of a missing key answers no result" '/^RESPONSE\t5$/ { r = 1; seen = 1; next } r && /result/ { bad = 1 } { r = 0 } END { exit !(seen && !bad) }'
expect "server heartbeat request arrives" '/^REQUEST\theartbeat$/ { ok = 1 } END { exit !ok }'
expect "quit closes the connection" '/^closed$/ { c = 1 } /^client done$/ { d = 1 } END { exit !(c && d) }'
if kill -0 "$server" 2>/dev/null; then pass "server node still running"; else
    fail "server node still running" "$(tail -n 5 "$tmp/server.out")"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
