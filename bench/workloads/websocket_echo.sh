# websocket_echo: a native client (bench/client/ws_echo.cpp) keeps one
# 64-byte masked text message in flight on each of 100 connections to an
# http.websocket echo server (bench/services/bench_ws_echo.lua); messages/s.
#   BENCH_WS_CONNS (100), BENCH_WS_PAYLOAD (64), BENCH_WS_AGENTS (8)
workload_websocket_echo() {
	local port=$((PORT + 21)) out=$TMP/websocket_echo.out pid
	if ! build_client ws_echo; then
		echo "BENCH_ERROR websocket_echo client does not compile"
		head -n 5 "$TMP/build_ws_echo.txt" | sed 's/^/# /'
		return
	fi
	write_config "$TMP/config_websocket_echo" bench_ws_echo websocket_echo \
		"bench_ws_port=$port" "bench_ws_agents=${BENCH_WS_AGENTS:-8}"
	start_bg "$out" $((LIMIT + 30)) "$SKYNET" "$TMP/config_websocket_echo"
	pid=$STARTED
	if ! wait_line "$out" "BENCH_READY" 15 "$pid"; then
		fail_all "server did not start" websocket_echo
		tail -n 5 "$TMP/websocket_echo.log" 2>/dev/null | sed 's/^/# log: /'
		stop_pid "$pid"
		return
	fi
	run_client websocket_echo "$TMP/ws_client.out" "$CLIENT_DIR/ws_echo" "$port" \
		"${BENCH_WS_CONNS:-100}" "$DURATION" "${BENCH_WS_PAYLOAD:-64}"
	stop_pid "$pid"
}
