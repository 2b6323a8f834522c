#!/usr/bin/env bash
# Node map changes at run time: alpha and gamma serve; beta (creload.lua)
# reloads by table and by file, waits for unknown nodes, uses __nowaiting and
# false; watcher (cwatch.lua) runs with `cluster_watch` and only edits its file.
# Usage: test/cluster/reload.sh <skynet-binary>
source "$(dirname "$0")/common.bash"

read -r pa pc <<<"$(free_ports 2)"
alpha=127.0.0.1:$pa
gamma=127.0.0.1:$pc
cluster_map "$cl_tmp/servers.lua" alpha="$pa" gamma="$pc"
cluster_map "$cl_tmp/beta.lua" db="$pa" alpha="$pa" gamma="$pc" offline=false
cluster_map "$cl_tmp/watcher.lua" db="$pa"

for n in alpha gamma; do
	node_start $n server cnode "cluster = \"$cl_tmp/servers.lua\""
done
for n in alpha gamma; do
	if node_wait $n "^READY $n"; then pass "$n listening"; else fail "$n listening"; node_tail $n; fi
done

addrs=("alpha_addr = \"$alpha\"" "gamma_addr = \"$gamma\"")
node_start beta client creload "cluster = \"$cl_tmp/beta.lua\"" "${addrs[@]}"
node_start watcher client cwatch "cluster = \"$cl_tmp/watcher.lua\"" "cluster_watch = 10" "${addrs[@]}"
node_results beta 90
node_results watcher 60

check "alpha survived" node_alive alpha
check "gamma survived" node_alive gamma
finish
