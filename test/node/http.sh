#!/usr/bin/env bash
# http, https, websocket (ws/wss) and dns against real peers: curl and a
# Python websockets client drive our servers; our httpc, websocket client
# and skynet.dns talk to Python servers and a dnsmasq started here. The TLS
# certificate is made with `openssl req` for this run only.
# Usage: test/node/http.sh <skynet>
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/skynet}
case "$bin" in /*) ;; *) bin=$root/$bin ;; esac
py=/usr/bin/python3
peer=$root/test/node/http_peer.py
tmp=$(mktemp -d "${TMPDIR:-/tmp}/skynet-http-test.XXXXXX")
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do
        # the node under `timeout` first: killing only the wrapper orphans it
        pkill -9 -P "$p" 2>/dev/null
        kill -9 "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    [ -f "$tmp/dnsmasq.pid" ] && kill -9 "$(cat "$tmp/dnsmasq.pid")" 2>/dev/null
    [ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
passed=0; failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
check() { # name, then a command that must succeed
    local name=$1; shift
    if "$@"; then pass "$name"; else fail "$name" "$*"; fi
}

wait_for() { # file pattern seconds [pid that must stay alive]
    local i
    for ((i = 0; i < $3 * 20; i++)); do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        [ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null && return 1
        sleep 0.05
    done
    return 1
}

free_ports() {
    $py -c 'import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

for tool in curl dnsmasq openssl; do
    command -v $tool >/dev/null || { echo "FAIL $tool is not installed (make deps)"; echo "0 passed, 1 failed"; exit 1; }
done

openssl req -x509 -newkey rsa:2048 -days 1 -nodes -subj /CN=localhost \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1 || { echo "FAIL openssl req"; exit 1; }

read -r http_port https_port ws_port wss_port peer_http peer_https peer_ws peer_wss dns_port dead_port \
    < <(free_ports 10)

# the peers
start_peer() { # name args...
    local name=$1; shift
    "$py" "$peer" "$@" >"$tmp/$name.out" 2>&1 &
    pids+=($!)
    wait_for "$tmp/$name.out" READY 20 || { echo "FAIL peer $name did not start"; cat "$tmp/$name.out"; }
}
start_peer py_http http-server "$peer_http"
start_peer py_https http-server "$peer_https" "$tmp/cert.pem" "$tmp/key.pem"
start_peer py_ws ws-server "$peer_ws"
start_peer py_wss ws-server "$peer_wss" "$tmp/cert.pem" "$tmp/key.pem"

printf '127.0.0.1 web.test\n10.0.0.1 multi.test\n10.0.0.2 multi.test\nfd00::1 web6.test\n' >"$tmp/hosts"
dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --addn-hosts="$tmp/hosts" --port="$dns_port" \
    --listen-address=127.0.0.1 --bind-interfaces --keep-in-foreground --pid-file="$tmp/dnsmasq.pid" \
    --local-ttl=600 --user=root >"$tmp/dnsmasq.out" 2>&1 &
pids+=($!)

cat >"$tmp/node.cfg" <<CFG
root = "$root/"
thread = 2
harbor = 0
start = "svc_http_node"
luaservice = root.."service/?.lua;"..root.."test/node/?.lua"
lualoader = root.."lualib/loader.lua"
lua_path = root.."lualib/?.lua;"..root.."lualib/?/init.lua"
logger = "$tmp/node.log"
certfile = "$tmp/cert.pem"
keyfile = "$tmp/key.pem"
http_port = $http_port
https_port = $https_port
ws_port = $ws_port
wss_port = $wss_port
peer_http = $peer_http
peer_https = $peer_https
peer_ws = $peer_ws
peer_wss = $peer_wss
dns_port = $dns_port
dead_port = $dead_port
CFG
timeout 300 "$bin" "$tmp/node.cfg" >"$tmp/node.out" 2>&1 &
node=$!
pids+=($node)

# 1. our clients against the Python servers and dnsmasq
if wait_for "$tmp/node.out" "CLIENT DONE" 120 $node; then
    grep -E '^(PASS|FAIL) ' "$tmp/node.out"
    passed=$((passed + $(grep -c '^PASS ' "$tmp/node.out")))
    failed=$((failed + $(grep -c '^FAIL ' "$tmp/node.out")))
else
    fail "node client checks" "no CLIENT DONE; $(tail -5 "$tmp/node.out"; tail -12 "$tmp/node.log")"
fi

# 2. curl against our httpd
url=http://127.0.0.1:$http_port
out=$(curl --max-time 60 -sS "$url/index?a=1")
check "curl GET" [ "$out" = "hello /index?a=1" ]
out=$(curl --max-time 60 -sS -d 'x=1&y=2' "$url/form")
check "curl POST form" [ "$out" = "POST len=7 head=x=1&y=2 tail=x=1&y=2 te=nil" ]
head -c 10485760 /dev/urandom >"$tmp/10m"
out=$(curl --max-time 60 -sS -H 'Expect:' --data-binary @"$tmp/10m" "$url/upload")
check "curl POST 10 MiB body" [ "${out%% head=*}" = "POST len=10485760" ]
out=$(curl --max-time 60 -sS -H 'Expect:' -H 'Transfer-Encoding: chunked' --data-binary @"$tmp/10m" "$url/upload")
check "curl POST 10 MiB chunked body" [ "${out%% head=*}" = "POST len=10485760" ] 
check "chunked request seen as chunked" [ "${out##* te=}" = "chunked" ]
curl --max-time 60 -sS --raw "$url/chunked" >"$tmp/raw.out"
printf '7\r\npiece1;\r\n7\r\npiece2;\r\n7\r\npiece3;\r\n0\r\n\r\n' >"$tmp/raw.want"
check "chunked response on the wire" cmp -s "$tmp/raw.out" "$tmp/raw.want"
out=$(curl --max-time 60 -sS "$url/chunked")
check "chunked response decoded" [ "$out" = "piece1;piece2;piece3;" ]
curl --max-time 60 -sS -v "$url/a" "$url/b" >"$tmp/ka.out" 2>"$tmp/ka.err"
check "keep-alive: two requests on one connection" grep -q "Re-using existing connection" "$tmp/ka.err"
check "keep-alive: both answered" [ "$(cat "$tmp/ka.out")" = "hello /ahello /b" ]

# a bad request line: that connection is closed with a log line ...
exec 3<>/dev/tcp/127.0.0.1/"$http_port"
printf 'THIS IS NOT HTTP\r\n\r\n' >&3
reply=$(timeout 10 cat <&3); rc=$?
exec 3<&-
check "bad request line: connection closed" [ $rc -eq 0 -a -z "$reply" ]
check "bad request line: logged" wait_for "$tmp/node.log" "bad request: Invalid HTTP request line" 5
# ... and the node serves others
check "node still serves after a bad request" [ "$(curl --max-time 60 -sS "$url/again")" = "hello /again" ]

# a body over the limit is refused from its Content-Length, before it is read
exec 3<>/dev/tcp/127.0.0.1/"$http_port"
printf 'POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 20000000\r\n\r\n' >&3
reply=$(timeout 10 cat <&3)
exec 3<&-
check "oversized body refused with 413" grep -q "^HTTP/1.1 413" <<<"$reply"
head -c 12000000 /dev/zero >"$tmp/12m"
code=$(curl --max-time 60 -s -o /dev/null -w '%{http_code}' -H 'Expect:' -H 'Transfer-Encoding: chunked' \
    --data-binary @"$tmp/12m" "$url/upload")
check "oversized chunked body refused at the limit" grep -q "refused with 413" "$tmp/node.log"
[ "$code" = 413 ] || echo "# curl saw $code for the oversized chunked upload (the server closed mid-body)"

# 3. https both ways: curl against our TLS server
surl=https://127.0.0.1:$https_port
check "curl https GET" [ "$(curl --max-time 60 -sSk "$surl/secure")" = "hello /secure" ]
out=$(curl --max-time 60 -sSk -H 'Expect:' --data-binary @"$tmp/10m" "$surl/upload")
check "curl https POST 10 MiB" [ "${out%% head=*}" = "POST len=10485760" ]
curl --max-time 60 -sSk -v "$surl/a" "$surl/b" >"$tmp/ska.out" 2>"$tmp/ska.err"
check "curl https keep-alive" [ "$(cat "$tmp/ska.out")" = "hello /ahello /b" ]

# 4. Python websockets client against our ws and wss servers
for scheme in ws wss; do
    p=$ws_port; [ $scheme = wss ] && p=$wss_port
    "$py" "$peer" ws-client "$scheme://127.0.0.1:$p/echo" >"$tmp/wsc.out" 2>&1
    while read -r line; do
        case "$line" in
        PASS*) pass "$scheme: ${line#PASS }" ;;
        FAIL*) fail "$scheme: ${line#FAIL }" "" ;;
        esac
    done <"$tmp/wsc.out"
    grep -q '^PASS' "$tmp/wsc.out" || fail "$scheme client ran" "$(tail -3 "$tmp/wsc.out")"
done
check "server handler saw the close code and reason" wait_for "$tmp/node.log" "WS CLOSE 1000 client done" 5
check "server handler saw the ping" grep -q "WS PING" "$tmp/node.log"

kill -0 $node 2>/dev/null && pass "node alive at the end" || fail "node alive" "$(tail -5 "$tmp/node.out")"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
