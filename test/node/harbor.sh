#!/usr/bin/env bash
# Harbor master/slave network: a master (harbor 1, svc_harbor_check.lua runs
# the checks) and two slaves (harbors 2 and 3, svc_harbor_node.lua). Global
# names and calls across harbors; harbor 3 killed with kill -9 while calls to
# it are held; harbor 2 stopped and restarted; garbage and a duplicate
# harbor id on the master port.
# Usage: test/node/harbor.sh <skynet-binary>
# (CLUSTER_SERVER_BIN/_ROOT run the master on another build, CLUSTER_CLIENT_*
# the slaves: an interoperability run against upstream skynet.)
source "$(dirname "$0")/../cluster/common.bash"
node_dir=$cl_root/test/node

read -r pm p1 p2 p3 pd <<<"$(free_ports 5)"

harbor_node() { # harbor_node <node> <role> <start> <harbor id> <port> [lines...]
	local node=$1 role=$2 start=$3 id=$4 port=$5; shift 5
	node_start "$node" "$role" "$start" \
		"luaservice = root..\"service/?.lua;$node_dir/?.lua;$cl_dir/?.lua\"" \
		"lua_path = root..\"lualib/?.lua;\"..root..\"lualib/?/init.lua;$cl_dir/?.lua\"" \
		"harbor = $id" "master = \"127.0.0.1:$pm\"" "address = \"127.0.0.1:$port\"" "$@"
}

harbor_node h1 server svc_harbor_check 1 "$p1" "standalone = \"127.0.0.1:$pm\""
check "master (harbor 1) up" node_wait h1 '^READY 1' 30
harbor_node h2 client svc_harbor_node 2 "$p2"
harbor_node h3 client svc_harbor_node 3 "$p3"
check "slave 2 up" node_wait h2 '^READY 2' 30
check "slave 3 up" node_wait h3 '^READY 3' 30

if node_wait h1 '^STEP kill3' 60 && node_wait h3 '^HELD 5$' 30; then
	node_kill9 h3
	step_go kill3
else
	fail "harbor 3 holds 5 calls"
	node_tail h3
	step_go kill3
fi

if node_wait h1 '^STEP restart2' 60; then
	kill -TERM "${cl_pid[h2]}"
	check "slave 2 stopped" node_gone h2
	mv "$cl_tmp/h2.out" "$cl_tmp/h2.out.1"
	harbor_node h2 client svc_harbor_node 2 "$p2"
	check "slave 2 restarted" node_wait h2 '^READY 2' 30
	step_go restart2
fi

if node_wait h1 '^STEP refuse' 60; then
	/usr/bin/python3 - "$pm" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(bytes([7]) + b"garbage" + bytes(range(256)))
s.close()
PY
	check "garbage on the master port refused with a log line" \
		node_wait h1 'disconnect fd = [0-9]+, error = ' 15
	harbor_node dup client svc_harbor_node 2 "$pd"
	check "a duplicate harbor id is refused by the master" \
		node_wait h1 'Slave 2 already register' 15
	check "the duplicate node does not join" node_gone dup 30
	step_go refuse
fi

node_results h1 120
check "slave 2 alive" node_alive h2
finish
