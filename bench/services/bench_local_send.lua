-- local_send: one producer sends small "inc" messages to one consumer in
-- batches; a call after each batch bounds the consumer's queue. msg/s.
local skynet = require "skynet"
local bench = require "benchlib"

local function send_batch(to, batch)
	for i = 1, batch do
		skynet.send(to, "lua", "inc", i)
	end
	return skynet.call(to, "lua", "count")
end

bench.run("local_send", function()
	local duration = bench.knob("bench_duration", 5)
	local batch = bench.knob("bench_send_batch", 10000)
	local consumer = skynet.newservice "bench_counter"
	local before = send_batch(consumer, batch)	-- warm-up
	local sent = 0
	local start, cpu0 = skynet.now(), bench.cpu_seconds()
	repeat
		send_batch(consumer, batch)
		sent = sent + batch
	until bench.seconds(start) >= duration
	local elapsed = bench.seconds(start)
	local counted = skynet.call(consumer, "lua", "count") - before
	assert(counted == sent, string.format("consumer counted %d of %d", counted, sent))
	bench.note("local_send: %d messages in %.2f s, batch %d, %s", sent, elapsed, batch, bench.cpu_note(cpu0, elapsed))
	bench.result("local_send", sent / elapsed, "msg/s")
end)
