# harbor_call: calls from harbor 2 to a service on harbor 1 (the master),
# 32 concurrent; calls/s. Ports: BENCH_PORT+20 (master), +21, +22 (harbors).
workload_harbor_call() {
	local master=127.0.0.1:$((PORT + 20))
	local bout=$TMP/harbor_call_b.out bpid apid
	write_config "$TMP/config_harbor_call_b" bench_harbor_b harbor_call_b \
		"harbor=1" "standalone=$master" "master=$master" "address=127.0.0.1:$((PORT + 21))"
	write_config "$TMP/config_harbor_call_a" bench_harbor_a harbor_call_a \
		"harbor=2" "master=$master" "address=127.0.0.1:$((PORT + 22))" \
		"bench_call_concurrency=${BENCH_CALL_CONCURRENCY:-32}"
	start_bg "$bout" $((LIMIT + 30)) "$SKYNET" "$TMP/config_harbor_call_b"
	bpid=$STARTED
	if ! wait_line "$bout" "BENCH_READY" 15 "$bpid"; then
		fail_all "harbor 1 did not start" harbor_call
		tail -n 5 "$TMP/harbor_call_b.log" 2>/dev/null | sed 's/^/# log b: /'
		stop_pid "$bpid"
		return
	fi
	start_bg "$TMP/harbor_call_a.out" "$LIMIT" "$SKYNET" "$TMP/config_harbor_call_a"
	apid=$STARTED
	wait_line "$TMP/harbor_call_a.out" "BENCH_DONE" "$LIMIT" "$apid"
	wait_exit "$apid" 2
	stop_pid "$apid"
	stop_pid "$bpid"
	results_of "$TMP/harbor_call_a.out"
	expect "$TMP/harbor_call_a.out" "$TMP/harbor_call_a.log" harbor_call
}
