-- The login example: logind (snax.loginserver) authenticates clients and
-- hands them to gated (snax.msgserver), which runs one msgagent per user.
local skynet = require "skynet"

skynet.start(function()
	local logind = skynet.newservice("logind")
	local gate = skynet.newservice("gated", logind)
	local port = tonumber(skynet.getenv "gate_port") or 8888
	skynet.call(gate, "lua", "open", {
		port = port,
		maxclient = 64,
		servername = "sample",
	})
	skynet.error("login example ready, gate on port " .. port)
end)
