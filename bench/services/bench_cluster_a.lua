-- Node "a" of the cluster workloads (bench_workload selects which):
--   cluster_call  coroutines doing cluster.call("b", "@echo", "echo", payload):
--                 32 bytes (calls/s), then 16 KiB and 100 KiB (MB/s of
--                 request payload; as much travels back)
--   cluster_send  cluster.send batches to "@sink", each followed by a
--                 synchronising cluster.call; msg/s measured on node b
local skynet = require "skynet"
local bench = require "benchlib"

local workload = skynet.getenv "bench_workload" or "cluster_call"
local cluster

local function await_peer()
	local err
	for _ = 1, 50 do
		local ok
		ok, err = pcall(cluster.call, "b", "@echo", "echo", "hello")
		if ok then
			return
		end
		skynet.sleep(10)
	end
	error("node b unreachable: " .. tostring(err))
end

local function call_rate(payload, concurrency, duration)
	local calls = 0
	local stop = bench.workers(concurrency, function(_, running)
		while running() do
			local back = cluster.call("b", "@echo", "echo", payload)
			assert(back == payload, "echo mismatch")
			calls = calls + 1
		end
	end)
	local n, elapsed, cpu = bench.window(function() return calls end, 0.3, duration)
	stop()
	return n, elapsed, cpu
end

local function bench_call()
	local duration = bench.knob("bench_duration", 5)
	local payload_duration = bench.knob("bench_payload_duration", 3)
	local concurrency = bench.knob("bench_cluster_concurrency", 32)
	local payload_concurrency = bench.knob("bench_payload_concurrency", 8)
	local n, elapsed, cpu = call_rate(string.rep("x", 32), concurrency, duration)
	bench.note("cluster_call: %d calls of 32 B by %d coroutines in %.2f s, node a %s", n, concurrency, elapsed, cpu)
	bench.result("cluster_call", n / elapsed, "calls/s")
	for _, kib in ipairs { 16, 100 } do
		local name = "cluster_call_" .. kib .. "k"
		local ok, err = pcall(function()
			local payload = string.rep("y", kib * 1024)
			n, elapsed, cpu = call_rate(payload, payload_concurrency, payload_duration)
			bench.note("%s: %d calls of %d KiB by %d coroutines in %.2f s (%.1f calls/s), node a %s",
				name, n, kib, payload_concurrency, elapsed, n / elapsed, cpu)
			bench.result(name, n * #payload / elapsed / 1e6, "MB/s")
		end)
		if not ok then
			bench.error(name, err)
		end
	end
end

local function bench_send()
	local duration = bench.knob("bench_duration", 5)
	local batch = bench.knob("bench_send_batch", 2000)
	cluster.call("b", "@sink", "reset")
	local sent = 0
	local start = skynet.now()
	repeat
		for i = 1, batch do
			cluster.send("b", "@sink", "inc", i)
		end
		sent = sent + batch
		cluster.call("b", "@sink", "sync")
	until bench.seconds(start) >= duration
	local count, first, last = cluster.call("b", "@sink", "report")
	assert(count == sent, string.format("node b counted %d of %d", count, sent))
	local elapsed = math.max((last - first) / 100, 0.01)
	bench.note("cluster_send: %d messages, %.2f s from first to last arrival (%.2f s at the sender)",
		count, elapsed, bench.seconds(start))
	bench.result("cluster_send", count / elapsed, "msg/s")
end

bench.run(workload, function()
	cluster = require "skynet.cluster"
	await_peer()
	if workload == "cluster_send" then
		bench_send()
	else
		bench_call()
	end
end)
