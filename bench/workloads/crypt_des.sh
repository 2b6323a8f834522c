# crypt_des: skynet.crypt.desencode of a 1 MiB buffer, MB/s (bench/services/bench_crypt.lua)
workload_crypt_des() {
	run_node crypt_des bench_crypt crypt_des bench_crypt=des
}
