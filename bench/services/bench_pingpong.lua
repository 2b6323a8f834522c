-- pingpong_pairs: pairs of services bouncing balls with skynet.send; the
-- rate is the number of balls received by all services per second.
local skynet = require "skynet"
local bench = require "benchlib"

local function total_hits(players)
	local sum = 0
	for _, p in ipairs(players) do
		sum = sum + skynet.call(p, "lua", "hits")
	end
	return sum
end

bench.run("pingpong_pairs", function()
	local duration = bench.knob("bench_duration", 5)
	local npairs = bench.knob("bench_pp_pairs", 16)
	local balls = bench.knob("bench_pp_balls", 1)
	local players = {}
	for _ = 1, npairs do
		local a = skynet.newservice "bench_ball"
		local b = skynet.newservice "bench_ball"
		skynet.call(a, "lua", "pair", b)
		skynet.call(b, "lua", "pair", a)
		players[#players + 1] = a
		players[#players + 1] = b
	end
	for i = 1, #players, 2 do
		skynet.call(players[i], "lua", "serve", balls)
	end
	local n, elapsed, cpu = bench.window(function() return total_hits(players) end, 0.5, duration)
	for _, p in ipairs(players) do
		skynet.call(p, "lua", "stop")
	end
	bench.note("pingpong_pairs: %d pairs, %d ball(s) each, %d messages in %.2f s, %s", npairs, balls, n, elapsed, cpu)
	bench.result("pingpong_pairs", n / elapsed, "msg/s")
end)
