-- websocket_echo server: the main service listens and hands each
-- connection round-robin to agents running http.websocket.accept with an
-- echo handler. Runs on upstream skynet too.
--   bench_ws_port, bench_ws_agents (knobs)
local skynet = require "skynet"
local socket = require "skynet.socket"
local websocket = require "http.websocket"

local mode = ...

if mode == "agent" then
	local handle = {}
	function handle.message(id, msg, kind)
		websocket.write(id, msg, kind)
	end
	skynet.start(function()
		skynet.dispatch("lua", function(_, _, id, addr)
			skynet.fork(websocket.accept, id, handle, "ws", addr)
		end)
	end)
else
	local bench = require "benchlib"
	skynet.start(function()
		local port = bench.knob("bench_ws_port", 17871)
		local agents = {}
		for i = 1, bench.knob("bench_ws_agents", 8) do
			agents[i] = skynet.newservice(SERVICE_NAME, "agent")
		end
		local n = 0
		local listener = socket.listen("127.0.0.1", port)
		socket.start(listener, function(id, addr)
			n = n % #agents + 1
			skynet.send(agents[n], "lua", id, addr)
		end)
		bench.line "BENCH_READY websocket_echo"
	end)
end
