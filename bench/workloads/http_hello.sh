# http_hello: wrk (64 connections, keep-alive, 2 threads) against a
# simpleweb-style server (bench/services/bench_http_hello.lua); requests/s.
#   BENCH_HTTP_CONNS (64), BENCH_HTTP_AGENTS (8)
workload_http_hello() {
	local port=$((PORT + 20)) out=$TMP/http_hello.out pid
	if ! command -v wrk >/dev/null; then
		echo "BENCH_ERROR http_hello wrk not found (make deps)"
		return
	fi
	write_config "$TMP/config_http_hello" bench_http_hello http_hello \
		"bench_http_port=$port" "bench_http_agents=${BENCH_HTTP_AGENTS:-8}"
	start_bg "$out" $((LIMIT + 30)) "$SKYNET" "$TMP/config_http_hello"
	pid=$STARTED
	if ! wait_line "$out" "BENCH_READY" 15 "$pid"; then
		fail_all "server did not start" http_hello
		tail -n 5 "$TMP/http_hello.log" 2>/dev/null | sed 's/^/# log: /'
		stop_pid "$pid"
		return
	fi
	timeout $((DURATION + 30)) wrk -t2 -c"${BENCH_HTTP_CONNS:-64}" -d"${DURATION}s" \
		"http://127.0.0.1:$port/" >"$TMP/wrk.out" 2>&1
	local rps errors
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$TMP/wrk.out")
	errors=$(grep -E 'Non-2xx|Socket errors' "$TMP/wrk.out")
	if [ -n "$rps" ]; then
		echo "# http_hello: $(grep -E 'requests in' "$TMP/wrk.out" | sed 's/^ *//')${errors:+; $errors}"
		echo "BENCH http_hello $rps req/s"
	else
		echo "BENCH_ERROR http_hello no wrk result"
		tail -n 5 "$TMP/wrk.out" | sed 's/^/# wrk: /'
	fi
	stop_pid "$pid"
}
