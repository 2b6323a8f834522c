#!/usr/bin/env bash
# skynet.db.mongo against test/node/fake_mongod.py, an in-memory OP_MSG
# server (MongoDB is not packaged in Debian), and a second one that requires
# SCRAM-SHA-1 logins (user admin, password 123456): svc_mongo_test.lua's cases,
# then the commands the driver sent compared with the ones upstream's driver
# sent for the same service (test/vectors/mongo_opmsg.jsonl).
# Usage: mongo.sh <skynet>
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/skynet}
case "$bin" in /*) ;; *) bin=$root/$bin ;; esac
tmp=$(mktemp -d)
server=
auth_server=
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    [ -n "$auth_server" ] && kill "$auth_server" 2>/dev/null && wait "$auth_server" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
passed=0; failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

/usr/bin/python3 "$root/test/node/fake_mongod.py" "$tmp/port" "$tmp/sent.jsonl" 2>"$tmp/server.err" &
server=$!
/usr/bin/python3 "$root/test/node/fake_mongod.py" "$tmp/auth_port" "$tmp/auth.jsonl" --user admin:123456 \
    2>>"$tmp/server.err" &
auth_server=$!
for ((i = 0; i < 100; i++)); do [ -s "$tmp/port" ] && [ -s "$tmp/auth_port" ] && break; sleep 0.05; done
if [ ! -s "$tmp/port" ] || [ ! -s "$tmp/auth_port" ]; then
    fail "fake mongod starts" "$(cat "$tmp/server.err")"
    echo "$passed passed, $failed failed"
    exit 1
fi

cat >"$tmp/config" <<CFG
root = "$root/"
thread = 2
harbor = 0
start = "svc_mongo_test"
luaservice = root.."service/?.lua;"..root.."test/node/?.lua"
lualoader = root.."lualib/loader.lua"
lua_path = root.."lualib/?.lua;"..root.."lualib/?/init.lua"
logger = "$tmp/node.log"
mongo_port = "$(cat "$tmp/port")"
mongo_auth_port = "$(cat "$tmp/auth_port")"
CFG
timeout -k 5 60 "$bin" "$tmp/config" >"$tmp/out" 2>&1
grep -E '^(PASS|FAIL|SKIP) ' "$tmp/out"
passed=$((passed + $(grep -c '^PASS ' "$tmp/out")))
failed=$((failed + $(grep -c '^FAIL ' "$tmp/out")))
if grep -q '^SKIP ' "$tmp/out"; then
    fail "every mongo case runs" "a case was skipped"
fi
if grep -q '^DONE' "$tmp/out"; then pass "mongo service finished"; else
    fail "mongo service finished" "$(tail -n 5 "$tmp/out"; tail -n 5 "$tmp/node.log")"
fi
if grep -q -e 123456 -e 654321 "$tmp/node.log" "$tmp/out"; then
    fail "the password stays out of the logs" "found in the node's output"
else
    pass "the password stays out of the logs"
fi
if why=$(/usr/bin/python3 "$root/test/node/mongo_compare.py" "$root/test/vectors/mongo_opmsg.jsonl" "$tmp/sent.jsonl"); then
    pass "commands sent match upstream's driver ($why)"
else
    fail "commands sent match upstream's driver" "$why"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
