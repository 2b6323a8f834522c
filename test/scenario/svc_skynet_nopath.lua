-- A service that empties package.path once started: the parts of the
-- framework loaded on first use must still load.
local skynet = require "skynet"

skynet.start(function()
	package.path = ""
	skynet.dispatch("lua", function(_, _, cmd)
		if cmd == "stat" then
			skynet.ret(skynet.pack(type(skynet.stat "mqlen")))
		elseif cmd == "exit" then
			skynet.exit()
		end
	end)
end)
