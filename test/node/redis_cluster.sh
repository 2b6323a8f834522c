#!/usr/bin/env bash
# skynet.db.redis.cluster against a real 3-master redis cluster made here with
# `redis-cli --cluster create` on loopback ports (own temp dir, stopped by
# pid): keys across slots, pub/sub, ASK and MOVED during a resharding step, a
# killed master. Usage: redis_cluster.sh <skynet>
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/skynet}
case "$bin" in /*) ;; *) bin=$root/$bin ;; esac
tmp=$(mktemp -d)
pids=()
node_pid=
cleanup() {
    [ -n "$node_pid" ] && { pkill -9 -P "$node_pid"; kill -9 "$node_pid"; } 2>/dev/null # the node under `timeout` too
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
passed=0; failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
source "$(dirname "$0")/dbnode.bash"
bail() { fail "$1" "$2"; echo "$passed passed, $failed failed"; exit 1; }

command -v redis-server >/dev/null || bail "redis cluster" "redis-server is not installed (3rd/packages.txt)"
# four free ports whose cluster bus ports (+10000) are free too; the fourth
# stays unused (a startup node that is down)
read -r p1 p2 p3 dead < <(/usr/bin/python3 - <<'PY'
import socket
found, held = [], []
while len(found) < 4:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; held.append(s)
    if p + 10000 > 65535:
        continue
    b = socket.socket()
    try:
        b.bind(("127.0.0.1", p + 10000)); held.append(b); found.append(p)
    except OSError:
        b.close()
print(*found)
PY
)
ports=("$p1" "$p2" "$p3")
for p in "${ports[@]}"; do
    mkdir -p "$tmp/$p"
    redis-server --port "$p" --bind 127.0.0.1 --dir "$tmp/$p" --save "" --appendonly no \
        --cluster-enabled yes --cluster-config-file "$tmp/$p/nodes.conf" --cluster-node-timeout 60000 \
        --daemonize no >"$tmp/$p/redis.log" 2>&1 &
    pids+=($!)
    disown $!	# no job notice when the test kills one
done
for p in "${ports[@]}"; do
    for ((i = 0; i < 200; i++)); do
        redis-cli -p "$p" ping 2>/dev/null | grep -q PONG && break
        sleep 0.05
    done
done
if ! redis-cli --cluster create "127.0.0.1:$p1" "127.0.0.1:$p2" "127.0.0.1:$p3" --cluster-replicas 0 --cluster-yes >"$tmp/create.log" 2>&1; then
    cat "$tmp/create.log"; bail "cluster create" "redis-cli --cluster create failed"
fi
for p in "${ports[@]}"; do
    for ((i = 0; i < 300; i++)); do
        redis-cli -p "$p" cluster info 2>/dev/null | grep -q "cluster_state:ok" && break
        sleep 0.05
    done
    redis-cli -p "$p" cluster info | grep -q "cluster_state:ok" || bail "cluster create" "node $p not ok"
done
pass "3-master cluster created with redis-cli --cluster create"

dbnode_config svc_redis_cluster "rc_ports = \"$p1 $p2 $p3\"" "rc_pids = \"${pids[*]}\"" "rc_dead = \"$dead\""
dbnode_run 60
dbnode_results
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
