#!/usr/bin/env bash
# The login example end to end: examples/login's server node (logind +
# gated + msgagent) on free loopback ports, and its client node logging in,
# talking to the gate twice, being refused with a wrong password (401) and on
# a second login of a user whose first login is still running (406).
# Usage: login.sh <skynet>
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/skynet}
case "$bin" in /*) ;; *) bin=$root/$bin ;; esac
tmp=$(mktemp -d)
server=
held=
stop() { kill "$1" 2>/dev/null && wait "$1" 2>/dev/null; }
cleanup() {
    [ -n "$held" ] && stop "$held"
    [ -n "$server" ] && stop "$server"
    [ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
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

read -r login_port gate_port < <(/usr/bin/python3 -c 'import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))')

# config <file> <example config> <lines...>: the example's config, rooted
# here, on this run's ports
config() {
    local file=$1 base=$2; shift 2
    {
        sed "s|^root = .*|root = \"$root/\"|" "$root/examples/login/$base"
        echo "login_port = \"$login_port\""
        echo "gate_port = \"$gate_port\""
        for l in "$@"; do echo "$l"; done
    } >"$file"
}

config "$tmp/server.cfg" config 'login_hold_user = "slow"' 'login_hold = "3"'
timeout -k 5 90 "$bin" "$tmp/server.cfg" >"$tmp/server.out" 2>&1 &
server=$!
if ! wait_for "$tmp/server.out" "login example ready" 20; then
    fail "login server starts" "$(tail -n 5 "$tmp/server.out")"
fi

# client <name> <lines...>: one client node run to its end
client() {
    local name=$1; shift
    config "$tmp/$name.cfg" config.client "$@"
    timeout -k 5 30 "$bin" "$tmp/$name.cfg" >"$tmp/$name.out" 2>&1
}

client good
if grep -q '^login	200 ' "$tmp/good.out" && grep -q '^handshake	200 OK$' "$tmp/good.out"; then
    pass "client logs in through logind and gated"
else
    fail "client logs in" "$(grep -v LAUNCH "$tmp/good.out" | tail -n 8)"
fi
if grep -q '^<===	echo	true	0' "$tmp/good.out" && grep -q '^<===	again	true	1' "$tmp/good.out"; then
    pass "requests answered, session 0 from the cache after reconnecting"
else
    fail "requests answered" "$(grep -v LAUNCH "$tmp/good.out" | tail -n 8)"
fi

client wrong 'login_password = "wrong"'
if grep -q '^login	401 Unauthorized' "$tmp/wrong.out"; then
    pass "wrong password: 401 Unauthorized"
else
    fail "wrong password" "$(grep -v LAUNCH "$tmp/wrong.out" | tail -n 5)"
fi

# user "slow": its login_handler takes 3 s; a second login meanwhile is refused
config "$tmp/held.cfg" config.client 'login_user = "slow"'
timeout -k 5 30 "$bin" "$tmp/held.cfg" >"$tmp/held.out" 2>&1 &
held=$!
if wait_for "$tmp/server.out" "slow@sample is login" 20; then
    client second 'login_user = "slow"'
    if grep -q '^login	406 Not Acceptable' "$tmp/second.out"; then
        pass "second login while the first runs: 406 Not Acceptable"
    else
        fail "second login" "$(grep -v LAUNCH "$tmp/second.out" | tail -n 5)"
    fi
else
    fail "second login" "the first login never reached login_handler"
fi
wait "$held"; held=
if grep -q '^login	200 ' "$tmp/held.out"; then
    pass "the first login still succeeds"
else
    fail "the first login still succeeds" "$(grep -v LAUNCH "$tmp/held.out" | tail -n 5)"
fi

# hostile peers: a login connection sending garbage gets 401 and is closed
# (upstream leaves it open); gate handshakes for nobody, or not shaped like
# a handshake at all, get 404 and are closed
bad=$(/usr/bin/python3 - "$login_port" "$gate_port" <<'PY'
import socket, sys
def read_all(s):
    data = b""
    while True:
        part = s.recv(4096)
        if not part:
            return data
        data += part
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.recv(64)  # the challenge line
s.sendall(b"not base64 at all\n")
print("login", read_all(s).hex())
for packet in (b"bm9ib2R5@c2FtcGxl#MQ==:1:AAAAAAAAAAA=", b"garbage"):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=10)
    s.sendall(len(packet).to_bytes(2, "big") + packet)
    print("gate", read_all(s).hex())
PY
)
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
if grep -qx "login $(hex $'401 Unauthorized\n')" <<<"$bad"; then
    pass "garbage on the login port: 401, connection closed"
else
    fail "garbage on the login port" "$bad"
fi
if [ "$(grep -cx "gate 0012$(hex '404 User Not Found')" <<<"$bad")" = 2 ]; then
    pass "gate handshakes for nobody or of no shape: 404, connection closed"
else
    fail "gate handshakes for nobody" "$bad"
fi
client again
if grep -q '^<===	again	true	1' "$tmp/again.out"; then pass "logins still work after the hostile peers"; else
    fail "logins still work after the hostile peers" "$(grep -v LAUNCH "$tmp/again.out" | tail -n 5)"; fi

if kill -0 "$server" 2>/dev/null; then pass "server node still running"; else
    fail "server node still running" "$(tail -n 5 "$tmp/server.out")"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
