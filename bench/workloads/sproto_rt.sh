# sproto_rt: encode + decode of a 20-field message with nested arrays, rt/s
# (bench/services/bench_sproto_rt.lua). Runs on upstream too (its LPeg parser).
workload_sproto_rt() {
	run_node sproto_rt bench_sproto_rt sproto_rt
}
