#!/usr/bin/env bash
# The project's benchmark harness (`make bench` runs it after building).
#
#   bench/run.sh [workload ...]        default: every workload, in this order:
#     local_send local_call pingpong_pairs spawn cluster_call cluster_send
#     gate_echo tcp_throughput loopback_limit lua_cpu, then bench/workloads/*.sh
#   (a result name such as spawn_mem, cluster_call_16k or gate_echo_native
#   selects the workload that produces it)
#
# Prints "BENCH <name> <value> <unit>" per result, "BENCH_ERROR <name> <why>"
# when a workload produced none, "#" lines for details, and at the end
# "# ratio" lines: ours / upstream skynet's medians (bench/upstream.txt).
# The workloads, parameters and units are those of the reference suite
# (/work/shared/bench/README.md), plus:
#   gate_echo_native  the gate_echo server driven by a C++ epoll client
#                     (the python client is the limit on a small machine)
#   tcp_throughput    one service streaming to another over loopback TCP, MB/s
#   loopback_limit    the same stream between two threads of a plain C++
#                     program: what loopback TCP allows on this machine, MB/s
# The C++ clients are compiled here, with g++, into $BUILD/bench/.
#
# Environment:
#   SKYNET_BIN        skynet binary (default: $BIN if set, as with
#                     `make BUILD=x BIN=x/skynet bench`, else ./skynet)
#   BENCH_ROOT        run another skynet tree with the same workloads, e.g.
#                     upstream's: its lualib/ service/ luaclib/ cservice/ and,
#                     unless SKYNET_BIN is set, its ./skynet
#   BUILD             build dir for the native clients (default: build)
#   BENCH_THREADS     worker threads (default: nproc, at least 2)
#   BENCH_DURATION    measured seconds per workload (default 5)
#   BENCH_PAYLOAD_DURATION  seconds of each 16K / 100K cluster phase (default 3)
#   BENCH_REPEAT      run everything N times; per-run results become
#                     "# run <i>:" lines and the BENCH lines are medians
#   BENCH_KEEP=1      keep the temp dir (configs, outputs, logs)
#   BENCH_NICE        renice the harness and everything it starts (e.g. -10,
#                     needs root for < 0): on a shared machine, keeps other
#                     load from eating the measured windows
#   BENCH_PORT        first of the 127.0.0.1 ports used (default 17850; +1,+2
#                     cluster nodes, +10 gate, +11 tcp_throughput)
#   knobs (defaults): BENCH_SEND_BATCH (10000) BENCH_CALL_CONCURRENCY (32)
#     BENCH_PP_PAIRS (16) BENCH_PP_BALLS (1) BENCH_SPAWN_N (2000)
#     BENCH_SPAWN_CONCURRENCY (1) BENCH_SPAWN_ROUNDS (3)
#     BENCH_CLUSTER_CONCURRENCY (32) BENCH_PAYLOAD_CONCURRENCY (8)
#     BENCH_CLUSTER_SEND_BATCH (2000) BENCH_GATE_CONNS (100)
#     BENCH_GATE_PAYLOAD (64) BENCH_GATE_THREADS (1, native client)
#     BENCH_TCP_CHUNK (65536) BENCH_TCP_WINDOW (4194304)
#     BENCH_CPU_N (5000) BENCH_CPU_WORKERS (threads)
# Every process runs under `timeout` and is stopped by its pid.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SVC=$HERE/services
ALL=(local_send local_call pingpong_pairs spawn cluster_call cluster_send gate_echo tcp_throughput loopback_limit lua_cpu)
# library workloads: bench/workloads/<name>.sh defines workload_<name>, which
# may use run_node and the other helpers below; its services go in services/
for f in "$HERE"/workloads/*.sh; do
	[ -e "$f" ] && ALL+=("$(basename "$f" .sh)")
done

# a path as given (relative to the current directory) or relative to the repo
resolve() {
	case "$1" in
	/*) echo "$1" ;;
	*) if [ -e "$1" ]; then echo "$PWD/$1"; else echo "$REPO/$1"; fi ;;
	esac
}

# where lualib/, service/, luaclib/, cservice/ (and the default binary) are
ROOT=$(resolve "${BENCH_ROOT:-$REPO}")
if [ -n "${BENCH_ROOT:-}" ] && [ -z "${SKYNET_BIN:-}" ]; then
	SKYNET=$ROOT/skynet
elif [ -n "${SKYNET_BIN:-}" ]; then
	SKYNET=$(resolve "$SKYNET_BIN")
elif [ -n "${BIN:-}" ] && [ -x "$(resolve "$BIN")" ] && [ -f "$(resolve "$BIN")" ]; then
	SKYNET=$(resolve "$BIN")
else
	SKYNET=$ROOT/skynet
fi
if [ ! -x "$SKYNET" ]; then
	echo "bench: no skynet binary at $SKYNET (build it, or set SKYNET_BIN)" >&2
	exit 2
fi
CLIENT_DIR=$(resolve "${BUILD:-build}")/bench

NPROC=$(nproc 2>/dev/null || echo 2)
[ "$NPROC" -lt 2 ] && NPROC=2
THREADS=${BENCH_THREADS:-$NPROC}
DURATION=${BENCH_DURATION:-5}
PDURATION=${BENCH_PAYLOAD_DURATION:-3}
REPEAT=${BENCH_REPEAT:-1}
PORT=${BENCH_PORT:-17850}
# generous bound for one node: warm-ups, several measured phases, start-up
LIMIT=$((DURATION * 4 + PDURATION * 2 + 60))

if [ -n "${BENCH_NICE:-}" ] && ! renice -n "$BENCH_NICE" -p $$ >/dev/null; then
	echo "# BENCH_NICE=$BENCH_NICE: renice failed, running at normal priority"
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/skynet-bench.XXXXXX")
PIDS=()

stop_pid() {
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	local keep=() p
	for p in "${PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	PIDS=("${keep[@]}")
}

stop_all() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PIDS=()
}

on_exit() {
	stop_all
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "# temp dir kept: $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# start_bg OUTFILE SECONDS COMMAND...: run in the background (cwd = temp
# dir) under timeout; the pid is in STARTED and remembered for cleanup
start_bg() {
	local out=$1 limit=$2
	shift 2
	: >"$out"
	(cd "$TMP" && exec timeout -k 3 "$limit" "$@") >"$out" 2>&1 </dev/null &
	STARTED=$!
	PIDS+=("$STARTED")
}

has_line() { # FILE PREFIX
	grep -qE -- "^$2" "$1" 2>/dev/null
}

# wait_line FILE PREFIX SECONDS PID: until FILE has a line starting with
# PREFIX (0), or PID has exited or time is up (1)
wait_line() {
	local file=$1 prefix=$2 ticks=$(($3 * 10)) pid=$4
	while [ "$ticks" -gt 0 ]; do
		has_line "$file" "$prefix" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
		ticks=$((ticks - 1))
	done
	has_line "$file" "$prefix"
}

# wait_exit PID SECONDS: give a process time to end by itself
wait_exit() {
	local ticks=$(($2 * 10))
	while [ "$ticks" -gt 0 ] && kill -0 "$1" 2>/dev/null; do
		sleep 0.1
		ticks=$((ticks - 1))
	done
}

# write_config FILE START_SERVICE LOGNAME [key=value ...]
write_config() {
	local file=$1 start=$2 log=$3 kv
	shift 3
	{
		echo "thread = $THREADS"
		echo "harbor = 0"
		echo "bootstrap = \"snlua bootstrap\""
		echo "start = \"$start\""
		echo "luaservice = \"$SVC/?.lua;$ROOT/service/?.lua\""
		echo "lualoader = \"$ROOT/lualib/loader.lua\""
		echo "lua_path = \"$SVC/?.lua;$ROOT/lualib/?.lua;$ROOT/lualib/?/init.lua\""
		echo "lua_cpath = \"$ROOT/luaclib/?.so\""
		echo "cpath = \"$ROOT/cservice/?.so\""
		echo "logger = \"$TMP/$log.log\""
		echo "cluster = \"$TMP/clustermap.lua\""
		echo "bench_duration = \"$DURATION\""
		echo "bench_payload_duration = \"$PDURATION\""
		for kv in "$@"; do
			echo "${kv%%=*} = \"${kv#*=}\""
		done
	} >"$file"
}

# the result and comment lines of an output file
results_of() {
	grep -E '^(BENCH |BENCH_ERROR |# )' "$1" 2>/dev/null
}

# expect OUTFILE LOG NAME...: BENCH_ERROR for every NAME without a result,
# with the end of the node's log to show why
expect() {
	local out=$1 log=$2 name missing=0
	shift 2
	for name in "$@"; do
		if ! grep -qE "^BENCH(_ERROR)? $name " "$out" 2>/dev/null; then
			echo "BENCH_ERROR $name no result"
			missing=1
		fi
	done
	if [ "$missing" = 1 ]; then
		grep -vE '^(BENCH|# )' "$out" 2>/dev/null | tail -n 5 | sed 's/^/# out: /'
		[ -n "$log" ] && tail -n 5 "$log" 2>/dev/null | sed 's/^/# log: /'
	fi
	return 0
}

# fail_all REASON NAME...
fail_all() {
	local why=$1 name
	shift
	for name in "$@"; do
		echo "BENCH_ERROR $name $why"
	done
}

# run_node NAME START_SERVICE RESULT_NAMES [key=value ...]: one node that
# prints its results, then BENCH_DONE, then aborts itself (NODE_LIMIT
# overrides the time bound)
run_node() {
	local name=$1 start=$2 names=$3
	shift 3
	local out=$TMP/$name.out pid limit=${NODE_LIMIT:-$LIMIT}
	write_config "$TMP/config_$name" "$start" "$name" "$@"
	start_bg "$out" "$limit" "$SKYNET" "$TMP/config_$name"
	pid=$STARTED
	wait_line "$out" "BENCH_DONE" "$limit" "$pid"
	wait_exit "$pid" 2
	stop_pid "$pid"
	results_of "$out"
	# shellcheck disable=SC2086
	expect "$out" "$TMP/$name.log" $names
}

run_cluster() { # WORKLOAD RESULT_NAMES [key=value ...]
	local name=$1 names=$2
	shift 2
	local bout=$TMP/${name}_b.out aout=$TMP/${name}_a.out bpid apid
	printf 'b = "127.0.0.1:%d"\na = "127.0.0.1:%d"\n' $((PORT + 1)) $((PORT + 2)) >"$TMP/clustermap.lua"
	write_config "$TMP/config_${name}_b" bench_cluster_b "${name}_b"
	write_config "$TMP/config_${name}_a" bench_cluster_a "${name}_a" "bench_workload=$name" "$@"
	start_bg "$bout" $((LIMIT + 30)) "$SKYNET" "$TMP/config_${name}_b"
	bpid=$STARTED
	if ! wait_line "$bout" "BENCH_(READY|FAILED)" 15 "$bpid" || ! has_line "$bout" "BENCH_READY"; then
		local why
		why=$(grep -m1 '^BENCH_FAILED' "$bout" | cut -d' ' -f3-)
		# shellcheck disable=SC2086
		fail_all "node b did not start: ${why:-no BENCH_READY in 15 s}" $names
		tail -n 5 "$TMP/${name}_b.log" 2>/dev/null | sed 's/^/# log b: /'
		stop_pid "$bpid"
		return
	fi
	start_bg "$aout" "$LIMIT" "$SKYNET" "$TMP/config_${name}_a"
	apid=$STARTED
	wait_line "$aout" "BENCH_DONE" "$LIMIT" "$apid"
	wait_exit "$apid" 2
	stop_pid "$apid"
	stop_pid "$bpid"
	results_of "$aout"
	# shellcheck disable=SC2086
	expect "$aout" "$TMP/${name}_a.log" $names
}

# build_client NAME: compile bench/client/NAME.cpp unless up to date
build_client() {
	local src=$HERE/client/$1.cpp bin=$CLIENT_DIR/$1
	if [ -x "$bin" ] && [ "$bin" -nt "$src" ] && [ "$bin" -nt "$HERE/client/common.h" ]; then
		return 0
	fi
	mkdir -p "$CLIENT_DIR" &&
		g++ -std=c++20 -O2 -Wall -Wextra -Werror -pthread -o "$bin" "$src" >"$TMP/build_$1.txt" 2>&1
}

# run_client NAME OUTFILE COMMAND...: a load client in the foreground, bounded
run_client() {
	local out=$2 pid
	start_bg "$out" $((DURATION + 30)) "${@:3}"
	pid=$STARTED
	wait "$pid" 2>/dev/null
	stop_pid "$pid"
	results_of "$out"
	expect "$out" "" "$1"
}

run_gate() {
	local port=$((PORT + 10)) out=$TMP/gate.out pid
	local conns=${BENCH_GATE_CONNS:-100} payload=${BENCH_GATE_PAYLOAD:-64}
	write_config "$TMP/config_gate" bench_gate gate "bench_gate_port=$port"
	start_bg "$out" $((LIMIT + 30)) "$SKYNET" "$TMP/config_gate"
	pid=$STARTED
	if ! wait_line "$out" "BENCH_READY" 15 "$pid"; then
		fail_all "gate did not start" gate_echo gate_echo_native
		tail -n 5 "$TMP/gate.log" 2>/dev/null | sed 's/^/# log: /'
		stop_pid "$pid"
		return
	fi
	if command -v python3 >/dev/null; then
		run_client gate_echo "$TMP/gate_python.out" python3 "$HERE/client/gate_echo.py" "$port" "$conns" "$DURATION" "$payload"
	else
		echo "BENCH_ERROR gate_echo python3 not found"
	fi
	if build_client gate_echo; then
		run_client gate_echo_native "$TMP/gate_native.out" "$CLIENT_DIR/gate_echo" "$port" "$conns" "$DURATION" "$payload" "${BENCH_GATE_THREADS:-1}"
	else
		echo "BENCH_ERROR gate_echo_native client does not compile"
		head -n 5 "$TMP/build_gate_echo.txt" | sed 's/^/# /'
	fi
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "# the gate node died during the run"
		tail -n 5 "$TMP/gate.log" 2>/dev/null | sed 's/^/# log: /'
	fi
	stop_pid "$pid"
}

run_loopback() {
	if build_client loopback; then
		run_client loopback_limit "$TMP/loopback.out" "$CLIENT_DIR/loopback" "$DURATION" "${BENCH_TCP_CHUNK:-65536}"
	else
		echo "BENCH_ERROR loopback_limit client does not compile"
		head -n 5 "$TMP/build_loopback.txt" | sed 's/^/# /'
	fi
}

run_workload() {
	case "$1" in
	local_send)
		run_node local_send bench_local_send local_send "bench_send_batch=${BENCH_SEND_BATCH:-10000}" ;;
	local_call)
		run_node local_call bench_local_call local_call "bench_call_concurrency=${BENCH_CALL_CONCURRENCY:-32}" ;;
	pingpong_pairs)
		run_node pingpong_pairs bench_pingpong pingpong_pairs \
			"bench_pp_pairs=${BENCH_PP_PAIRS:-16}" "bench_pp_balls=${BENCH_PP_BALLS:-1}" ;;
	spawn)	# its length depends on the launch rate, not on BENCH_DURATION
		NODE_LIMIT=$((LIMIT + 120)) run_node spawn bench_spawn "spawn spawn_mem" "bench_spawn_n=${BENCH_SPAWN_N:-2000}" \
			"bench_spawn_concurrency=${BENCH_SPAWN_CONCURRENCY:-1}" "bench_spawn_rounds=${BENCH_SPAWN_ROUNDS:-3}" ;;
	cluster_call)
		run_cluster cluster_call "cluster_call cluster_call_16k cluster_call_100k" \
			"bench_cluster_concurrency=${BENCH_CLUSTER_CONCURRENCY:-32}" \
			"bench_payload_concurrency=${BENCH_PAYLOAD_CONCURRENCY:-8}" ;;
	cluster_send)
		run_cluster cluster_send cluster_send "bench_send_batch=${BENCH_CLUSTER_SEND_BATCH:-2000}" ;;
	gate_echo)
		run_gate ;;
	tcp_throughput)
		run_node tcp_throughput bench_tcp tcp_throughput "bench_tcp_port=$((PORT + 11))" \
			"bench_tcp_chunk=${BENCH_TCP_CHUNK:-65536}" "bench_tcp_window=${BENCH_TCP_WINDOW:-4194304}" ;;
	loopback_limit)
		run_loopback ;;
	lua_cpu)
		run_node lua_cpu bench_lua_cpu lua_cpu "bench_cpu_n=${BENCH_CPU_N:-5000}" \
			"bench_cpu_workers=${BENCH_CPU_WORKERS:-$THREADS}" ;;
	*)
		if [ -f "$HERE/workloads/$1.sh" ]; then
			# shellcheck source=/dev/null
			. "$HERE/workloads/$1.sh"
			"workload_$1"
		else
			echo "BENCH_ERROR $1 unknown workload (known: ${ALL[*]})"
		fi ;;
	esac
}

# result names select the workload that produces them
workload_of() {
	case "$1" in
	spawn_mem) echo spawn ;;
	cluster_call_16k | cluster_call_100k) echo cluster_call ;;
	gate_echo_native) echo gate_echo ;;
	*) echo "$1" ;;
	esac
}

WORK=()
if [ $# -gt 0 ]; then
	for a in "$@"; do
		w=$(workload_of "$a")
		case " ${WORK[*]} " in *" $w "*) ;; *) WORK+=("$w") ;; esac
	done
else
	WORK=("${ALL[@]}")
fi

# medians per result name, in order of first appearance
medians() {
	awk '$1 == "BENCH" && NF == 4 {
		if (!($2 in n)) { order[++k] = $2; n[$2] = 0 }
		v[$2, ++n[$2]] = $3; unit[$2] = $4
	}
	END {
		for (i = 1; i <= k; i++) {
			name = order[i]; m = n[name]
			for (a = 1; a <= m; a++) s[a] = v[name, a]
			for (a = 2; a <= m; a++)
				for (b = a; b > 1 && s[b - 1] > s[b]; b--) { t = s[b]; s[b] = s[b - 1]; s[b - 1] = t }
			med = (m % 2) ? s[(m + 1) / 2] : (s[m / 2] + s[m / 2 + 1]) / 2
			printf "BENCH %s %.2f %s\n", name, med, unit[name]
		}
	}' "$1"
}

# "# ratio" lines: ours / upstream, and the two ratios of the new workloads
ratios() {
	awk -v final="$1" '
	FILENAME != final && !/^#/ && NF >= 3 { up[$1] = $2 }
	FILENAME == final && $1 == "BENCH" { ours[$2] = $3; unit[$2] = $4; order[++k] = $2 }
	END {
		print "# ratios, ours / upstream skynet median (bench/upstream.txt):"
		for (i = 1; i <= k; i++) {
			name = order[i]
			if (name in up && up[name] > 0)
				printf "# ratio %s %.2f (%s / %s %s)\n", name, ours[name] / up[name], ours[name], up[name], unit[name]
		}
		if (("tcp_throughput" in ours) && ours["loopback_limit"] > 0)
			printf "# ratio tcp_throughput/loopback_limit %.2f (%s / %s MB/s)\n", ours["tcp_throughput"] / ours["loopback_limit"], ours["tcp_throughput"], ours["loopback_limit"]
		if (("gate_echo_native" in ours) && up["gate_echo"] > 0)
			printf "# ratio gate_echo_native/upstream_gate_echo %.2f (native client vs upstream with the python client)\n", ours["gate_echo_native"] / up["gate_echo"]
	}' "$HERE/upstream.txt" "$1"
}

echo "# skynet bench: binary=$SKYNET root=$ROOT threads=$THREADS duration=${DURATION}s repeat=$REPEAT nice=$(nice) cpus=$(nproc 2>/dev/null) date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# load before: $(uptime)"

ALLRESULTS=$TMP/results.txt
: >"$ALLRESULTS"
for r in $(seq 1 "$REPEAT"); do
	for w in "${WORK[@]}"; do
		run_workload "$w" >"$TMP/run.txt"
		grep '^BENCH ' "$TMP/run.txt" >>"$ALLRESULTS"
		if [ "$REPEAT" -gt 1 ]; then
			sed "s/^\(# \)\{0,1\}/# run $r: /" "$TMP/run.txt"
		else
			cat "$TMP/run.txt"
		fi
	done
done
echo "# load after: $(uptime)"

FINAL=$TMP/final.txt
if [ "$REPEAT" -gt 1 ]; then
	echo "# medians over $REPEAT runs:"
	medians "$ALLRESULTS" >"$FINAL"
	cat "$FINAL"
else
	cp "$ALLRESULTS" "$FINAL"
fi
ratios "$FINAL"
