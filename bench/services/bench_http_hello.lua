-- http_hello server, simpleweb-style: the main service listens and hands
-- each connection round-robin to agents that answer every keep-alive
-- request with "Hello, world". Runs on upstream skynet too.
--   bench_http_port, bench_http_agents (knobs)
local skynet = require "skynet"
local socket = require "skynet.socket"
local httpd = require "http.httpd"
local sockethelper = require "http.sockethelper"

local mode = ...

if mode == "agent" then
	local BODY = "Hello, world"
	local function serve(id)
		socket.start(id)
		local read, write = sockethelper.readfunc(id), sockethelper.writefunc(id)
		while true do
			local code = httpd.read_request(read, 8192)
			if code ~= 200 or not httpd.write_response(write, 200, BODY) then
				break
			end
		end
		socket.close(id)
	end
	skynet.start(function()
		skynet.dispatch("lua", function(_, _, id)
			skynet.fork(serve, id)
		end)
	end)
else
	local bench = require "benchlib"
	skynet.start(function()
		local port = bench.knob("bench_http_port", 17870)
		local agents = {}
		for i = 1, bench.knob("bench_http_agents", 8) do
			agents[i] = skynet.newservice(SERVICE_NAME, "agent")
		end
		local n = 0
		local listener = socket.listen("127.0.0.1", port)
		socket.start(listener, function(id)
			n = n % #agents + 1
			skynet.send(agents[n], "lua", id)
		end)
		bench.line "BENCH_READY http_hello"
	end)
end
