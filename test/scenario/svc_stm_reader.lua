-- The reading side of the stm scenario.
local skynet = require "skynet"
local stm = require "skynet.stm"

local reader

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, arg)
		if cmd == "attach" then
			reader = stm.newcopy(arg)
			skynet.ret(skynet.pack(true))
		else
			skynet.ret(skynet.pack(reader(skynet.unpack)))
		end
	end)
end)
