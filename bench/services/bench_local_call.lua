-- local_call: concurrent coroutines doing skynet.call round trips to one
-- echo service. calls/s.
local skynet = require "skynet"
local bench = require "benchlib"

bench.run("local_call", function()
	local duration = bench.knob("bench_duration", 5)
	local concurrency = bench.knob("bench_call_concurrency", 32)
	local echo = skynet.newservice "bench_counter"
	local calls = 0
	local stop = bench.workers(concurrency, function(id, running)
		while running() do
			local got = skynet.call(echo, "lua", "echo", id, calls)
			assert(got == id, "echo mismatch")
			calls = calls + 1
		end
	end)
	local n, elapsed, cpu = bench.window(function() return calls end, 0.5, duration)
	stop()
	bench.note("local_call: %d calls by %d coroutines in %.2f s, %s", n, concurrency, elapsed, cpu)
	bench.result("local_call", n / elapsed, "calls/s")
end)
