-- A logger written in Lua, as upstream's userlog example: text lines, and
-- SIGHUP arrives as a "system" message.
local skynet = require "skynet"
require "skynet.manager"

skynet.register_protocol {
	name = "text",
	id = skynet.PTYPE_TEXT,
	unpack = skynet.tostring,
	dispatch = function(_, address, msg)
		print(string.format("USERLOG %s %s", skynet.address(address), msg))
	end,
}

skynet.register_protocol {
	name = "SYSTEM",
	id = skynet.PTYPE_SYSTEM,
	unpack = function(...) return ... end,
	dispatch = function()
		print("USERLOG SIGHUP")
	end,
}

skynet.start(function()
	skynet.register ".logger"
end)
