-- An exit monitor: remembers the services whose exit it was told about.
local skynet = require "skynet"

local dead = {}

skynet.register_protocol {
	name = "client",
	id = skynet.PTYPE_CLIENT,
	unpack = function() end,
	dispatch = function(_, source)
		dead[#dead + 1] = source
	end,
}

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, addr)
		assert(cmd == "dead")
		for _, a in ipairs(dead) do
			if a == addr then
				return skynet.retpack(true)
			end
		end
		skynet.retpack(false)
	end)
end)
