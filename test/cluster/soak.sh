#!/usr/bin/env bash
# Soak: three nodes on loopback, 32 callers doing cluster.send + cluster.call
# between all pairs, node n3 killed with kill -9 and restarted every 5 s.
# The survivors (n1, n2) check every answer, the longest wait and that sends
# arrive (csoak.lua); this script checks that their RSS and open fds return
# to the baseline and that their log holds no error but lost connections.
# Usage: test/cluster/soak.sh <skynet-binary>   (SOAK_SECONDS, default 60;
# `make soak` runs 600)
SOAK_SECONDS=${SOAK_SECONDS:-60}
# a sanitizer build (make asan / make tsan) runs several times slower
# and keeps freed memory in quarantine (RSS says nothing there)
rss_check=1
case "${1:-}" in *asan*|*tsan*) SOAK_MAX_WAIT=${SOAK_MAX_WAIT:-5}; rss_check=0 ;; esac
SOAK_MAX_WAIT=${SOAK_MAX_WAIT:-1}
export CLUSTER_NODE_TIMEOUT=$((SOAK_SECONDS + 180))
source "$(dirname "$0")/common.bash"

map=$cl_tmp/clustermap.lua
read -r p1 p2 p3 <<<"$(free_ports 3)"
cluster_map "$map" n1="$p1" n2="$p2" n3="$p3"
common=("cluster = \"$map\"" 'thread = 2' 'soak_nodes = "n1 n2 n3"' "soak_max_wait = $SOAK_MAX_WAIT"
    'soak_pause = 1' "soak_seconds = $SOAK_SECONDS")

rss_kib() { sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' "/proc/${cl_pid[$1]}/status" 2>/dev/null; }
fds() { ls "/proc/${cl_pid[$1]}/fd" 2>/dev/null | wc -l; }

restarts=0
start_victim() {
    node_start n3 client csoak "${common[@]}" 'soak_callers = 10' 'soak_victim = true' \
        "soak_incarnation = $restarts"
    node_wait n3 "^READY n3" 30 || { grep -ac "^READY n3" "$cl_tmp/n3.out" >/dev/null; return 1; }
}

node_start n1 client csoak "${common[@]}" 'soak_callers = 11'
node_start n2 client csoak "${common[@]}" 'soak_callers = 11'
check "n1 up" node_wait n1 '^READY n1' 30
check "n2 up" node_wait n2 '^READY n2' 30
: > "$cl_tmp/n3.out"
check "n3 up" start_victim

step_go go
sleep 3 # every pair connected and busy
base_rss=(0 "$(rss_kib n1)" "$(rss_kib n2)")
base_fds=(0 "$(fds n1)" "$(fds n2)")
echo "# baseline: n1 ${base_rss[1]} KiB ${base_fds[1]} fds, n2 ${base_rss[2]} KiB ${base_fds[2]} fds"

end=$((SECONDS + SOAK_SECONDS))
up=0
while ((SECONDS < end)); do
    sleep 5
    node_kill9 n3
    restarts=$((restarts + 1))
    # n3's READY count grows by one per incarnation (its output is appended)
    start_victim_counted() {
        node_start n3 client csoak "${common[@]}" 'soak_callers = 10' 'soak_victim = true' \
            "soak_incarnation = $restarts"
        local i
        for ((i = 0; i < 600; i++)); do
            [ "$(grep -ac '^READY n3' "$cl_tmp/n3.out")" -gt "$restarts" ] && return 0
            node_alive n3 || return 1
            sleep 0.05
        done
        return 1
    }
    start_victim_counted && up=$((up + 1))
done
[ $up -eq $restarts ] && pass "n3 killed and restarted $restarts times" \
    || fail "n3 restarts" "$up of $restarts came up"

sleep 2 # the survivors reconnect to the last incarnation
step_go stop
node_results n1 60
node_results n2 60
sleep 1
for i in 1 2; do
    n=n$i
    r=$(rss_kib $n); f=$(fds $n)
    echo "# after: $n $r KiB $f fds"
    limit=$((base_rss[i] + base_rss[i] / 4 + 16384))
    [ $rss_check -eq 0 ] && limit=99999999
    [ -n "$r" ] && [ "$r" -le $limit ] && pass "$n RSS back to baseline ($r KiB, baseline ${base_rss[i]})" \
        || fail "$n RSS" "$r KiB > $limit KiB"
    [ -n "$f" ] && [ "$f" -le $((base_fds[i] + 2)) ] && pass "$n open fds back to baseline ($f, baseline ${base_fds[i]})" \
        || fail "$n fds" "$f > ${base_fds[i]} + 2"
    # expected: lost or refused connections to n3, and the errors they give
    # callers: clusterd's "changenode [n3] failed", a send's "call failed"
    bad=$(grep -a '^\[:' "$cl_tmp/$n.out" | grep -aiE 'error|fail|traceback|overload|warning|lost' \
        | grep -avE "Connect failed .* 127.0.0.1 $p3\$|\[Error: socket\]$|lualib/skynet.lua:[0-9]+: call failed\$|changenode \[n3\]|socket: error on (unknown )?[0-9]+ (Connection reset by peer|End of file|Broken pipe)\$" \
        | head -5)
    [ -z "$bad" ] && pass "$n log: no error but lost connections" || fail "$n log" "$bad"
done
kill -TERM "${cl_pid[n1]}" "${cl_pid[n2]}"
check "n1 stops on SIGTERM" node_gone n1 30
check "n2 stops on SIGTERM" node_gone n2 30
finish
