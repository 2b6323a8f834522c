-- The sproto example's server: a watchdog with a gate, one agent per
-- client speaking the protocol of proto.lua.
local skynet = require "skynet"

skynet.start(function()
	skynet.error("Server start")
	skynet.uniqueservice("protoloader")
	skynet.newservice("simpledb")
	local watchdog = skynet.newservice("watchdog")
	local addr, port = skynet.call(watchdog, "lua", "start", {
		port = tonumber(skynet.getenv "example_port") or 8888,
		maxclient = 64,
		nodelay = true,
	})
	skynet.error("Watchdog listen on " .. addr .. ":" .. port)
	skynet.exit()
end)
