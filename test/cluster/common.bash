# Sourced by the multi-node cluster tests (test/cluster/*.sh); not a test.
#
# A test starts nodes on loopback, each a skynet process under `timeout` with
# its output (log and print) in $cl_tmp/<node>.out, and waits for lines in
# those files. Client nodes run a self-checking Lua service (ctest.lua) whose
# PASS/FAIL lines are counted here; the shell adds its own checks.
#
# Which binary runs a node: client nodes run the binary given as $1 from this
# repository; server nodes too, unless CLUSTER_SERVER_BIN / CLUSTER_SERVER_ROOT
# name another skynet build (an interoperability run). Likewise
# CLUSTER_CLIENT_BIN / CLUSTER_CLIENT_ROOT.
set -u

cl_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cl_dir=$cl_root/test/cluster
cl_bin=${1:-$cl_root/skynet}
case "$cl_bin" in /*) ;; *) cl_bin=$PWD/$cl_bin ;; esac
cl_limit=${CLUSTER_NODE_TIMEOUT:-240}	# seconds any node may live

cl_tmp=$(mktemp -d "${TMPDIR:-/tmp}/cluster-test.XXXXXX")
declare -A cl_tpid=()	# node -> pid of its `timeout` wrapper
declare -A cl_pid=()	# node -> pid of the skynet process
cl_passed=0
cl_failed=0

# child_of <pid> <parent>: the process exists and is that parent's child (a
# pid that ended long ago may belong to someone else by now).
child_of() {
	local pid comm state ppid rest
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	# "pid (comm) state ppid ...": read without forking (ps is slow under load);
	# the commands started here have no spaces in comm
	read -r pid comm state ppid rest < "/proc/$1/stat" 2>/dev/null || return 1
	[ "$ppid" = "$2" ]
}

cl_cleanup() {
	local n t p
	exec 2>/dev/null	# no "Killed" job notices for the nodes stopped here
	for n in "${!cl_tpid[@]}"; do
		t=${cl_tpid[$n]}
		child_of "$t" $$ || continue
		# the node itself first: killing only `timeout` would orphan it
		for p in $(pgrep -P "$t"); do kill -9 "$p"; done
		kill -9 "$t"
	done
	wait 2>/dev/null
	if [ -n "${CLUSTER_KEEP_TMP:-}" ]; then
		echo "# kept $cl_tmp"
	else
		rm -rf "$cl_tmp"
	fi
}
trap cl_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pass() { echo "PASS $1"; cl_passed=$((cl_passed + 1)); }
fail() { echo "FAIL $1${2:+ : $2}"; cl_failed=$((cl_failed + 1)); }
check() { # check <name> <command...>: PASS if the command succeeds
	local name=$1; shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

finish() {
	echo "$cl_passed passed, $cl_failed failed"
	[ "$cl_failed" -eq 0 ]
	exit
}

# free_ports <n>: n distinct TCP ports on 127.0.0.1 that nothing listens on
# right now (all bound at once, so no two are the same).
free_ports() {
	python3 -c 'import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

# node_config <node> <role> <start-service> [config lines...]
node_config() {
	local node=$1 role=$2 start=$3; shift 3
	local tree
	if [ "$role" = server ]; then tree=${CLUSTER_SERVER_ROOT:-$cl_root}; else tree=${CLUSTER_CLIENT_ROOT:-$cl_root}; fi
	{
		echo "root = \"$tree/\""
		echo "thread = 4"
		echo "harbor = 0"
		echo "start = \"$start\""
		echo "bootstrap = \"snlua bootstrap\""
		echo "luaservice = root..\"service/?.lua;$cl_dir/?.lua\""
		echo "lualoader = root..\"lualib/loader.lua\""
		echo "lua_path = root..\"lualib/?.lua;\"..root..\"lualib/?/init.lua;$cl_dir/?.lua\""
		echo "lua_cpath = root..\"luaclib/?.so\""
		echo "cpath = root..\"cservice/?.so\""
		echo "node_name = \"$node\""
		echo "test_tmp = \"$cl_tmp\""
		local l
		for l in "$@"; do echo "$l"; done
	} > "$cl_tmp/$node.config"
}

# node_start <node> <role> <start-service> [config lines...]: (re)start a node;
# its output goes to $cl_tmp/<node>.out (appended to on a restart).
node_start() {
	local node=$1 role=$2 bin
	node_config "$@"
	if [ "$role" = server ]; then bin=${CLUSTER_SERVER_BIN:-$cl_bin}; else bin=${CLUSTER_CLIENT_BIN:-$cl_bin}; fi
	(cd "$cl_tmp" && exec timeout -k 2 "$cl_limit" "$bin" "$node.config") >>"$cl_tmp/$node.out" 2>&1 &
	cl_tpid[$node]=$!
	local i p=""
	for ((i = 0; i < 200; i++)); do
		p=$(pgrep -P "${cl_tpid[$node]}" | head -n 1)
		[ -n "$p" ] && break
		kill -0 "${cl_tpid[$node]}" 2>/dev/null || break
		sleep 0.01
	done
	cl_pid[$node]=$p
}

node_alive() { [ -n "${cl_pid[$1]:-}" ] && kill -0 "${cl_pid[$1]}" 2>/dev/null; }

# Kill the node's process at once (no shutdown) and reap it.
node_kill9() {
	local node=$1
	child_of "${cl_pid[$node]:-}" "${cl_tpid[$node]}" && kill -9 "${cl_pid[$node]}"
	wait "${cl_tpid[$node]}" 2>/dev/null
	cl_pid[$node]=""
}

# node_gone <node> [seconds=15]: wait until the node's process has ended
# (killed by someone else), then reap it; kill -9 it if it lingers.
node_gone() {
	local node=$1 secs=${2:-15}
	local deadline=$((${EPOCHREALTIME//[.,]/} + secs * 1000000))
	while node_alive "$node" && ((${EPOCHREALTIME//[.,]/} < deadline)); do
		sleep 0.02
	done
	if node_alive "$node"; then
		node_kill9 "$node"
		return 1
	fi
	node_kill9 "$node"
}

# node_wait <node> <extended-regex> [seconds=15]: wait for a line in the
# node's output; gives up early if the node has died without printing it.
node_wait() {
	local node=$1 re=$2 secs=${3:-15}
	local f=$cl_tmp/$node.out
	local deadline=$((${EPOCHREALTIME//[.,]/} + secs * 1000000))
	while ((${EPOCHREALTIME//[.,]/} < deadline)); do
		grep -aEq -- "$re" "$f" 2>/dev/null && return 0
		if ! node_alive "$node"; then
			grep -aEq -- "$re" "$f" 2>/dev/null
			return
		fi
		sleep 0.02
	done
	grep -aEq -- "$re" "$f" 2>/dev/null
}

# Show the end of a node's output (on failures).
node_tail() {
	tail -n "${2:-20}" "$cl_tmp/$1.out" 2>/dev/null | cut -c1-300 | sed "s/^/    [$1] /"
}

# Let a client waiting in ctest.step(<token>) go on; <text> is what it reads.
step_go() {
	printf '%s\n' "${2:-}" > "$cl_tmp/$1.tmp" && mv "$cl_tmp/$1.tmp" "$cl_tmp/$1"
}

# node_results <node> [seconds=60]: wait for a client's DONE line, then count
# its PASS/FAIL lines (a client that never finishes is one failure).
node_results() {
	local node=$1 secs=${2:-60} f=$cl_tmp/$1.out p q
	if ! node_wait "$node" '^DONE ' "$secs"; then
		grep -aE '^(PASS|FAIL) ' "$f" | sed "s/^/[$node] /"
		p=$(grep -ac '^PASS ' "$f"); q=$(grep -ac '^FAIL ' "$f")
		cl_passed=$((cl_passed + p)); cl_failed=$((cl_failed + q))
		fail "$node finished" "no DONE line; last output:"
		node_tail "$node" 30
		return 1
	fi
	grep -aE '^(PASS|FAIL) ' "$f" | sed "s/^/[$node] /"
	p=$(grep -ac '^PASS ' "$f"); q=$(grep -ac '^FAIL ' "$f")
	cl_passed=$((cl_passed + p)); cl_failed=$((cl_failed + q))
	if [ "$q" -gt 0 ]; then node_tail "$node" 30; fi
	return 0
}

# cluster_map <file> <name=port|false ...>: a node map on 127.0.0.1
cluster_map() {
	local file=$1 kv; shift
	: > "$file"
	for kv in "$@"; do
		case "${kv#*=}" in
			false|true) echo "${kv%%=*} = ${kv#*=}" ;;
			*) echo "${kv%%=*} = \"127.0.0.1:${kv#*=}\"" ;;
		esac >> "$file"
	done
}
