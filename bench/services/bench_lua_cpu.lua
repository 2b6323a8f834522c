-- lua_cpu: one compute-bound worker per thread, two callers per worker, the
-- checksum verified on every answer. calls/s.
local skynet = require "skynet"
local bench = require "benchlib"

local EXPECTED = { [5000] = 81909626 }

bench.run("lua_cpu", function()
	local duration = bench.knob("bench_duration", 5)
	local nworkers = bench.knob("bench_cpu_workers", bench.knob("thread", 2))
	local n = bench.knob("bench_cpu_n", 5000)
	local workers = {}
	for i = 1, nworkers do
		workers[i] = skynet.newservice "bench_cpu_worker"
	end
	local checksum = skynet.call(workers[1], "lua", "crunch", 1, n)
	if EXPECTED[n] then
		assert(checksum == EXPECTED[n], "checksum " .. tostring(checksum) .. ", expected " .. EXPECTED[n])
	end
	local calls = 0
	local stop = bench.workers(nworkers * 2, function(i, running)
		local worker = workers[(i - 1) % nworkers + 1]
		while running() do
			local got = skynet.call(worker, "lua", "crunch", 1, n)
			assert(got == checksum, "checksum mismatch")
			calls = calls + 1
		end
	end)
	local count, elapsed, cpu = bench.window(function() return calls end, 0.5, duration)
	stop()
	bench.note("lua_cpu: %d workers, n = %d, checksum %s, %d calls in %.2f s, %s",
		nworkers, n, tostring(checksum), count, elapsed, cpu)
	bench.result("lua_cpu", count / elapsed, "calls/s")
end)
