-- multicast_fanout: one publisher, N subscribers (100) on one channel. The
-- publisher sends rounds of B messages (the last one flagged) and waits for
-- every subscriber to ack the round. Delivered messages/s.
local skynet = require "skynet"
local mc = require "skynet.multicast"
local bench = require "benchlib"

bench.run("multicast_fanout", function()
	local duration = bench.knob("bench_duration", 5)
	local nsubs = bench.knob("bench_mc_subscribers", 100)
	local batch = bench.knob("bench_mc_batch", 20)
	local acks, waiter = 0, nil
	skynet.dispatch("lua", function()
		acks = acks + 1
		if acks == nsubs and waiter then
			skynet.wakeup(waiter)
		end
	end)
	local channel = mc.new()
	for _ = 1, nsubs do
		local sub = skynet.newservice("bench_mc_sub", skynet.self())
		skynet.call(sub, "lua", "sub", channel.channel)
	end
	local delivered = 0
	local stop = bench.workers(1, function(_, running)
		while running() do
			acks = 0
			for i = 1, batch do
				channel:publish(i == batch, i)
			end
			if acks < nsubs then
				waiter = coroutine.running()
				skynet.wait(waiter)
				waiter = nil
			end
			delivered = delivered + nsubs * batch
		end
	end)
	local n, elapsed, cpu = bench.window(function() return delivered end, 0.5, duration)
	stop()
	bench.note("multicast_fanout: %d messages to %d subscribers in %.2f s, %s", n, nsubs, elapsed, cpu)
	bench.result("multicast_fanout", n / elapsed, "msgs/s")
end)
