#!/usr/bin/env bash
# fd exhaustion: with a low `ulimit -n`, a flood of connections to a listen
# port is refused and logged, existing connections keep working, the node
# does not spin while at the limit, and accepts again once fds are free.
# Usage: fdlimit.sh <skynet>
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/skynet}
case "$bin" in /*) ;; *) bin=$root/$bin ;; esac
tmp=$(mktemp -d)
pid=
node=
cleanup() {
    [ -n "$node" ] && kill -9 "$node" 2>/dev/null
    [ -n "$pid" ] && { kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$tmp/node.cfg" <<CFG
root = "$root/"
thread = 2
harbor = 0
start = "svc_fdlimit"
luaservice = root.."service/?.lua;"..root.."test/node/?.lua"
lualoader = root.."lualib/loader.lua"
lua_path = root.."lualib/?.lua;"..root.."lualib/?/init.lua"
cpath = root.."examples/cservice/?.so"
logger = "$tmp/node.log"
fd_port = $port
CFG
# exec: $pid is the node itself, under its own fd limit
(ulimit -n 64 && exec timeout -k 5 120 "$bin" "$tmp/node.cfg") >"$tmp/node.out" 2>&1 &
pid=$!
for ((i = 0; i < 600; i++)); do grep -q LISTENING "$tmp/node.out" && break; sleep 0.05; done
if ! grep -q LISTENING "$tmp/node.out"; then
    echo "FAIL node did not start: $(tail -3 "$tmp/node.out")"
    echo "0 passed, 1 failed"
    exit 1
fi
node=$(pgrep -P "$pid" | head -n 1)
timeout -k 5 90 /usr/bin/python3 "$root/test/node/fdlimit_client.py" "$port" "${node:-$pid}" "$tmp/node.log"
rc=$?
if ! kill -0 "$pid" 2>/dev/null; then
    echo "FAIL the node died: $(tail -3 "$tmp/node.out")"
    echo "0 passed, 1 failed"
    exit 1
fi
exit $rc
