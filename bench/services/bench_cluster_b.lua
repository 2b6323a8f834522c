-- Node "b" of the cluster workloads: exposes "@echo" and "@sink", then
-- tells the driver it is ready. Runs until the driver stops it.
local skynet = require "skynet"
local bench = require "benchlib"

skynet.start(function()
	local ok, err = pcall(function()
		local cluster = require "skynet.cluster"
		cluster.register("echo", skynet.newservice "bench_counter")
		cluster.register("sink", skynet.newservice "bench_cluster_sink")
		cluster.open "b"
	end)
	if ok then
		bench.line "BENCH_READY b"
	else
		bench.line("BENCH_FAILED b " .. tostring(err):gsub("[\r\n]+", " | "))
	end
end)
