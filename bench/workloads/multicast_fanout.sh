# multicast_fanout: one publisher, 100 subscribers on one node; delivered
# messages/s. Knobs: BENCH_MC_SUBSCRIBERS (100), BENCH_MC_BATCH (20 messages
# a round, each round acked by every subscriber).
workload_multicast_fanout() {
	run_node multicast_fanout bench_multicast multicast_fanout \
		"bench_mc_subscribers=${BENCH_MC_SUBSCRIBERS:-100}" "bench_mc_batch=${BENCH_MC_BATCH:-20}"
}
