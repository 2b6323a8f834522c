# bson_rt: bson.encode + bson.decode of a 30-field nested document in one
# service, round trips/s (the document is checked after every decode).
workload_bson_rt() {
	run_node bson_rt bench_bson_rt "bson_rt"
}
