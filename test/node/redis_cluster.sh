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

cat >"$tmp/config" <<CFG
root = "$root/"
thread = 2
harbor = 0
start = "svc_redis_cluster"
luaservice = root.."service/?.lua;"..root.."test/node/?.lua"
lualoader = root.."lualib/loader.lua"
lua_path = root.."lualib/?.lua;"..root.."lualib/?/init.lua"
logger = "$tmp/node.log"
rc_ports = "$p1 $p2 $p3"
rc_pids = "${pids[*]}"
rc_dead = "$dead"
CFG
timeout 60 "$bin" "$tmp/config" >"$tmp/node.out" 2>&1 &
node_pid=$!
for ((i = 0; i < 600; i++)); do
    grep -q "^DONE" "$tmp/node.out" && break
    kill -0 "$node_pid" 2>/dev/null || break
    sleep 0.1
done
kill "$node_pid" 2>/dev/null; wait "$node_pid" 2>/dev/null; node_pid=
while read -r line; do
    case "$line" in
    PASS*) pass "${line#PASS }" ;;
    FAIL*) fail "${line#FAIL }" "" ;;
    esac
done < <(grep -E '^(PASS|FAIL) ' "$tmp/node.out")
grep '^# ' "$tmp/node.out"
grep -q "^DONE" "$tmp/node.out" && pass "service finished" || { fail "service finished" "no DONE"; tail -20 "$tmp/node.out"; tail -20 "$tmp/node.log"; }
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
