#!/usr/bin/env bash
# Peer failures: alpha is killed with kill -9 while beta (cfail.lua) has calls
# in flight, then restarted on the same port; then a third node (delta) is
# killed while alpha still owes it answers.
# Usage: test/cluster/failure.sh <skynet-binary>
source "$(dirname "$0")/common.bash"

map=$cl_tmp/clustermap.lua
read -r pa pb <<<"$(free_ports 2)"
cluster_map "$map" alpha="$pa" beta="$pb"

start_alpha() {
	[ -e "$cl_tmp/alpha.out" ] && mv "$cl_tmp/alpha.out" "$cl_tmp/alpha.out.$(date +%s%N)"
	node_start alpha server cnode "cluster = \"$map\""
	node_wait alpha '^READY alpha'
}

check "alpha listening" start_alpha
node_start beta client cfail "cluster = \"$map\""

# beta kills alpha itself (kill -9 <pid>), to time the failures on one clock
if node_wait beta '^STEP kill' 60 && node_wait alpha '^HELD 24$' 60; then
	step_go kill "${cl_pid[alpha]}"
	check "alpha killed holding 24 calls" node_gone alpha
else
	fail "alpha killed holding 24 calls"
	node_tail alpha
	step_go kill 0
fi

if node_wait beta '^STEP restart' 60; then
	check "alpha restarted" start_alpha
	step_go restart
else
	fail "alpha restarted" "beta never asked"
fi

if node_wait beta '^STEP callerdead' 60; then
	node_start delta client chold "cluster = \"$map\"" "hold_count = 7"
	if node_wait alpha '^HELD 7$' 60; then
		node_kill9 delta
		pass "delta killed while alpha holds its 7 calls"
	else
		fail "delta killed while alpha holds its 7 calls"
		node_tail delta
	fi
	step_go callerdead
fi

node_results beta 120
check "alpha survived" node_alive alpha
finish
