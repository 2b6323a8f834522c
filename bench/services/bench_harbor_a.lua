-- harbor_call, caller side (harbor 2): concurrent coroutines doing
-- skynet.call round trips to BENCHECHO on harbor 1. calls/s.
local skynet = require "skynet"
local harbor = require "skynet.harbor"
local bench = require "benchlib"

bench.run("harbor_call", function()
	local duration = bench.knob("bench_duration", 5)
	local concurrency = bench.knob("bench_call_concurrency", 32)
	local echo = harbor.queryname "BENCHECHO"
	assert(skynet.harbor(echo) ~= skynet.harbor(skynet.self()), "BENCHECHO is not remote")
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
	bench.note("harbor_call: %d calls by %d coroutines in %.2f s, %s", n, concurrency, elapsed, cpu)
	bench.result("harbor_call", n / elapsed, "calls/s")
end)
