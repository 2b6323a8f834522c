# redis_get: 32 coroutines of one service doing GET through one
# skynet.db.redis connection to a redis-server started here. ops/s.
# Sourced by bench/run.sh (helpers: run_node, start_bg, stop_pid, ...).
# shellcheck shell=bash

# redis_bench_server: a redis-server on a free loopback port in $TMP;
# sets REDIS_PORT and REDIS_PID (stop it with stop_pid)
redis_bench_server() {
	REDIS_PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	mkdir -p "$TMP/redis"
	start_bg "$TMP/redis/out" $((LIMIT + 60)) redis-server --port "$REDIS_PORT" --bind 127.0.0.1 \
		--dir "$TMP/redis" --save "" --appendonly no --daemonize no
	REDIS_PID=$STARTED
	local i
	for ((i = 0; i < 100; i++)); do
		redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && return 0
		sleep 0.1
	done
	return 1
}

# "# redis-benchmark ..." note: what the server does for a C client here
redis_bench_reference() {
	local rps
	rps=$(redis-benchmark -p "$REDIS_PORT" -c 32 -n 200000 -q "$@" 2>/dev/null | tr '\r' '\n' | grep -Eo '[0-9.]+ requests per second' | tail -n 1)
	echo "# redis-benchmark -c 32 $*: ${rps:-n/a}"
}

workload_redis_get() {
	if ! command -v redis-server >/dev/null || ! redis_bench_server; then
		fail_all "redis-server did not start" redis_get
		return
	fi
	run_node redis_get bench_redis_get redis_get "bench_redis_port=$REDIS_PORT" \
		"bench_redis_concurrency=${BENCH_REDIS_CONCURRENCY:-32}"
	redis_bench_reference -t get
	stop_pid "$REDIS_PID"
}
