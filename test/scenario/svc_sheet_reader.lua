-- Reads a datasheet through its own proxy, for the datasheet scenario.
local skynet = require "skynet"
local datasheet = require "skynet.datasheet"

skynet.start(function()
	skynet.dispatch("lua", function(_, _, name, ...)
		local v = datasheet.query(name)
		for _, k in ipairs({ ... }) do
			v = v[k]
		end
		skynet.ret(skynet.pack(v))
	end)
end)
