-- tcp_throughput: one sender service streams to one receiver service over a
-- loopback TCP connection; MB/s (10^6 bytes) counted at the receiver.
local skynet = require "skynet"
local bench = require "benchlib"

bench.run("tcp_throughput", function()
	local duration = bench.knob("bench_duration", 5)
	local port = bench.knob("bench_tcp_port", 17861)
	local chunk = bench.knob("bench_tcp_chunk", 65536)
	local window = bench.knob("bench_tcp_window", 4 * 1024 * 1024)
	local receiver = skynet.newservice "bench_tcp_recv"
	local sender = skynet.newservice "bench_tcp_send"
	skynet.call(receiver, "lua", "listen", port)
	skynet.call(sender, "lua", "start", receiver, port, chunk, window)
	local bytes, elapsed, cpu = bench.window(function()
		return skynet.call(receiver, "lua", "received")
	end, 0.5, duration)
	local sent = skynet.call(sender, "lua", "stop")
	local got = skynet.call(receiver, "lua", "wait", sent)
	assert(got == sent, string.format("receiver got %d of %d bytes", got, sent))
	bench.note("tcp_throughput: %.1f MB in %.2f s, %d-byte writes, %d-byte window, %s",
		bytes / 1e6, elapsed, chunk, window, cpu)
	bench.result("tcp_throughput", bytes / elapsed / 1e6, "MB/s")
end)
