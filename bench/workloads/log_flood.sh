# log_flood: lines/s the logger writes while one service floods it with
# 200-byte skynet.error lines, to a file (log_flood) and to stdout
# (log_flood_stdout, the node's stdout redirected to a file), and the peak
# RSS of each run (log_flood_rss, log_flood_stdout_rss, MiB).
# Knob: BENCH_FLOOD_SECONDS (3), how long the service floods.
workload_log_flood() {
	local secs=${BENCH_FLOOD_SECONDS:-3}
	run_node log_flood bench_log_flood "log_flood log_flood_rss" \
		"bench_flood_watch=$TMP/log_flood.log" "bench_flood_seconds=$secs"
	# the same node with no `logger` key: the logger writes to stdout
	local name=log_flood_stdout out=$TMP/log_flood_stdout.out pid
	write_config "$TMP/config_$name" bench_log_flood "$name" "bench_flood_watch=$out" \
		"bench_flood_seconds=$secs" "bench_flood_name=$name"
	sed -i '/^logger = /d' "$TMP/config_$name"
	start_bg "$out" "$LIMIT" "$SKYNET" "$TMP/config_$name"
	pid=$STARTED
	# the output holds gigabytes of log lines: look at its end only
	local ticks=$((LIMIT * 10))
	while [ $ticks -gt 0 ] && kill -0 "$pid" 2>/dev/null; do
		tail -c 65536 "$out" | grep -qa '^BENCH_DONE' && break
		sleep 0.1
		ticks=$((ticks - 1))
	done
	wait_exit "$pid" 2
	stop_pid "$pid"
	grep -aE '^(BENCH |BENCH_ERROR |# )' "$out" >"$out.results"
	cat "$out.results"
	expect "$out.results" /dev/null $name ${name}_rss
	rm -f "$out" "$TMP/log_flood.log"
}
