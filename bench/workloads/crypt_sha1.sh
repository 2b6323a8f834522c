# crypt_sha1: skynet.crypt.sha1 of a 1 MiB buffer, MB/s (bench/services/bench_crypt.lua)
workload_crypt_sha1() {
	run_node crypt_sha1 bench_crypt crypt_sha1 bench_crypt=sha1
}
