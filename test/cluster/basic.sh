#!/usr/bin/env bash
# Three nodes on loopback: alpha and gamma serve, beta (cbasic.lua) calls and
# sends to both (names, handles, proxies, >64 KiB, 1000 concurrent calls) and
# is called back by alpha.
# Usage: test/cluster/basic.sh <skynet-binary>
source "$(dirname "$0")/common.bash"

map=$cl_tmp/clustermap.lua
read -r pa pb pc <<<"$(free_ports 3)"
cluster_map "$map" alpha="$pa" beta="$pb" gamma="$pc"

for n in alpha gamma; do
	node_start $n server cnode "cluster = \"$map\""
done
for n in alpha gamma; do
	if node_wait $n "^READY $n"; then pass "$n listening"; else fail "$n listening"; node_tail $n; fi
done

node_start beta client cbasic "cluster = \"$map\""
node_results beta 90

check "alpha survived" node_alive alpha
check "gamma survived" node_alive gamma
finish
