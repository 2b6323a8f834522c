# lua54_bitops: CRC32 + xorshift32 written with Lua 5.4's operators
# (bench/services/bench_lua54_ops.lua), against the same loop written with
# bit.* by hand, and the translator's MB/s. Upstream skynet (BENCH_ROOT) runs
# the same 5.4 file; it has neither bit nor the translator, so it reports
# lua54_bitops only.
workload_lua54_bitops() {
	local names="lua54_bitops lua54_bitops_hand lua54_translate"
	[ -n "${BENCH_ROOT:-}" ] && names="lua54_bitops"
	run_node lua54_bitops bench_lua54_bitops "$names" \
		"bench_lua54_source=$SVC/bench_lua54_ops.lua"
}
