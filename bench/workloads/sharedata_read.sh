# sharedata_read: random two-deep field reads through sharedata proxies
# (reads/s); sharedata_mem: what 100 services add in RSS by sharing a ~10 MiB
# table (KiB). Both run on upstream too (BENCH_ROOT=/tmp/upstream-skynet).
workload_sharedata_read() {
	run_node sharedata_read bench_sharedata_read "sharedata_read sharedata_mem"
}
