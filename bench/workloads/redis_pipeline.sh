# redis_pipeline: one skynet.db.redis connection sending pipelines of 100
# SET/GET commands (8 coroutines) to a redis-server started here. commands/s.
# shellcheck shell=bash
# shellcheck source=bench/workloads/redis_get.sh
. "$HERE/workloads/redis_get.sh"

workload_redis_pipeline() {
	if ! command -v redis-server >/dev/null || ! redis_bench_server; then
		fail_all "redis-server did not start" redis_pipeline
		return
	fi
	run_node redis_pipeline bench_redis_pipeline redis_pipeline "bench_redis_port=$REDIS_PORT" \
		"bench_redis_pipeline=${BENCH_REDIS_PIPELINE:-100}"
	redis_bench_reference -t get -P 100
	stop_pid "$REDIS_PID"
}
