-- gate_echo server: the stock gate service with this service as its
-- watchdog, handing connections round-robin to echo agents. Prints
-- BENCH_READY once listening; the driver stops the node.
local skynet = require "skynet"
local bench = require "benchlib"

skynet.start(function()
	local port = bench.knob("bench_gate_port", 17860)
	local nagents = bench.knob("bench_gate_agents", 4)
	local gate = skynet.newservice "gate"
	local agents = {}
	for i = 1, nagents do
		agents[i] = skynet.newservice "bench_gate_agent"
	end
	local next_agent = 0
	skynet.dispatch("lua", function(session, _, cmd, event, fd)
		if cmd == "socket" and event == "open" then
			next_agent = next_agent % nagents + 1
			skynet.call(gate, "lua", "forward", fd, 0, agents[next_agent])
		end
		if session ~= 0 then
			skynet.ret(skynet.pack(true))
		end
	end)
	skynet.call(gate, "lua", "open", {
		address = "127.0.0.1",
		port = port,
		maxclient = 4096,
		nodelay = true,
		watchdog = skynet.self(),
	})
	bench.line "BENCH_READY gate"
end)
