#!/usr/bin/env bash
# cluster.snax between two nodes: alpha serves a unique snax service, beta
# reaches it by type and by handle through its clusterd.
# Usage: test/cluster/snax.sh <skynet-binary>
source "$(dirname "$0")/common.bash"

map=$cl_tmp/clustermap.lua
read -r pa pb <<<"$(free_ports 2)"
cluster_map "$map" alpha="$pa" beta="$pb"

node_start alpha server csnaxnode "cluster = \"$map\"" "snax = \"$cl_dir/?.lua\""
if node_wait alpha "^READY alpha"; then pass "alpha listening"; else fail "alpha listening"; node_tail alpha; finish; fi
handle=$(grep -a '^READY alpha' "$cl_tmp/alpha.out" | head -n 1 | cut -d' ' -f3)

node_start beta client csnax "cluster = \"$map\"" "snax = \"$cl_dir/?.lua\"" "snax_handle = \"$handle\""
node_results beta 60

check "alpha survived" node_alive alpha
finish
