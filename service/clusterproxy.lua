-- clusterproxy <node> <address>
-- A local stand-in for a remote service: "lua" (and "snax") messages sent
-- here go to <address> on <node> unchanged, calls get the remote answer.
local skynet = require "skynet"
require "skynet.manager"	-- skynet.forward_type

local node, address = ...

skynet.register_protocol {
	name = "system",
	id = skynet.PTYPE_SYSTEM,
	unpack = function(msg, sz)
		return msg, sz
	end,
}

-- Incoming lua/snax buffers are handed on untouched (the sender frees them
-- once packed); responses must not be freed either.
local forward = {
	[skynet.PTYPE_LUA] = skynet.PTYPE_SYSTEM,
	[skynet.PTYPE_SNAX] = skynet.PTYPE_SYSTEM,
	[skynet.PTYPE_RESPONSE] = skynet.PTYPE_RESPONSE,
}

skynet.forward_type(forward, function()
	local clusterd = skynet.uniqueservice("clusterd")
	address = tonumber(address) or address
	local sender = skynet.call(clusterd, "lua", "sender", node)
	skynet.dispatch("system", function(session, _, msg, sz)
		if session == 0 then
			skynet.send(sender, "lua", "push", address, msg, sz)
		else
			skynet.ret(skynet.rawcall(sender, "lua", skynet.pack("req", address, msg, sz)))
		end
	end)
end)
