-- redis_pipeline: pipelines of N commands (SET and GET alternating) on one
-- skynet.db.redis connection, from 8 coroutines. commands/s.
local skynet = require "skynet"
local redis = require "skynet.db.redis"
local bench = require "benchlib"

bench.run("redis_pipeline", function()
	local duration = bench.knob("bench_duration", 5)
	local size = bench.knob("bench_redis_pipeline", 100)
	local db = redis.connect { host = "127.0.0.1", port = bench.knob("bench_redis_port", 6379) }
	local ops = {}
	for i = 1, size do
		local key = "bench:p" .. (i % 10)
		ops[i] = i % 2 == 1 and { "set", key, "value-" .. i } or { "get", key }
	end
	local commands = 0
	local stop = bench.workers(8, function(_, running)
		while running() do
			local resp = {}
			db:pipeline(ops, resp)
			assert(#resp == size and resp[1].ok)
			commands = commands + size
		end
	end)
	local n, elapsed, cpu = bench.window(function() return commands end, 0.5, duration)
	stop()
	db:disconnect()
	bench.note("redis_pipeline: %d commands in pipelines of %d in %.2f s, %s", n, size, elapsed, cpu)
	bench.result("redis_pipeline", n / elapsed, "commands/s")
end)
