-- redis_get: concurrent coroutines doing GET on one skynet.db.redis
-- connection (upstream's API only: runs on upstream skynet too). ops/s.
local skynet = require "skynet"
local redis = require "skynet.db.redis"
local bench = require "benchlib"

bench.run("redis_get", function()
	local duration = bench.knob("bench_duration", 5)
	local concurrency = bench.knob("bench_redis_concurrency", 32)
	local db = redis.connect { host = "127.0.0.1", port = bench.knob("bench_redis_port", 6379) }
	db:set("bench:key", "value-0123456789")
	local ops = 0
	local stop = bench.workers(concurrency, function(_, running)
		while running() do
			assert(db:get "bench:key" == "value-0123456789")
			ops = ops + 1
		end
	end)
	local n, elapsed, cpu = bench.window(function() return ops end, 0.5, duration)
	stop()
	db:disconnect()
	bench.note("redis_get: %d GETs by %d coroutines on one connection in %.2f s, %s", n, concurrency, elapsed, cpu)
	bench.result("redis_get", n / elapsed, "ops/s")
end)
