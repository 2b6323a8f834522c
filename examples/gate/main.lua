-- Starts the gate example: a watchdog that owns a gate and gives every
-- client its own agent. Packets are a 2-byte big-endian length followed by
-- a text command (see agent.lua); replies are framed the same way.
local skynet = require "skynet"

-- "gate/main" when launched through a search path ending in examples/?.lua
local prefix = SERVICE_NAME:match("^(.*/)") or ""

skynet.start(function()
	local watchdog = skynet.newservice(prefix .. "watchdog")
	local address, port = skynet.call(watchdog, "lua", "start", {
		address = skynet.getenv "gate_address" or "127.0.0.1",
		port = tonumber(skynet.getenv "gate_port" or 8888),
		maxclient = tonumber(skynet.getenv "gate_maxclient" or 64),
		nodelay = true,
	})
	skynet.error(string.format("gate example: clients connect to %s:%d", address, port))
	skynet.exit()
end)
