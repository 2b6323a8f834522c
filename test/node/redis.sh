#!/usr/bin/env bash
# skynet.db.redis against a real redis-server started here (own port, own
# temp dir, stopped by pid): replies of every type, RESP3, pipeline, pub/sub,
# AUTH, SELECT, a stopped and a killed server. Usage: redis.sh <skynet>
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/skynet}
case "$bin" in /*) ;; *) bin=$root/$bin ;; esac
tmp=$(mktemp -d)
redis_pid=
node_pid=
cleanup() {
    [ -n "$node_pid" ] && { pkill -9 -P "$node_pid"; kill -9 "$node_pid"; } 2>/dev/null # the node under `timeout` too
    [ -n "$redis_pid" ] && kill -CONT "$redis_pid" 2>/dev/null && kill -9 "$redis_pid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
passed=0; failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
source "$(dirname "$0")/dbnode.bash"

if ! command -v redis-server >/dev/null; then
    echo "FAIL redis: redis-server is not installed (3rd/packages.txt)"; echo "0 passed, 1 failed"; exit 1
fi
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
pass=secret-$RANDOM$RANDOM

start_redis() {
    redis-server --port "$port" --bind 127.0.0.1 --dir "$tmp" --save "" --appendonly no \
        --requirepass "$pass" --enable-debug-command yes --daemonize no >>"$tmp/redis.log" 2>&1 &
    redis_pid=$!
    disown "$redis_pid"	# no job notice when the test kills it
    local i
    for ((i = 0; i < 200; i++)); do
        redis-cli -p "$port" -a "$pass" --no-auth-warning ping 2>/dev/null | grep -q PONG && return 0
        sleep 0.05
    done
    return 1
}

start_redis || { echo "FAIL redis-server did not start"; cat "$tmp/redis.log"; echo "0 passed, 1 failed"; exit 1; }

dbnode_config svc_redis "redis_port = \"$port\"" "redis_pass = \"$pass\"" \
    "redis_pid = \"$redis_pid\"" "redis_flag = \"$tmp/restarted\""
dbnode_run 60 RESTART_REDIS "$redis_pid" start_redis
dbnode_results
if grep -q -- "$pass" "$tmp/node.log" "$tmp/node.out"; then fail "password never logged" "found in the log"; else pass "password never logged"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
