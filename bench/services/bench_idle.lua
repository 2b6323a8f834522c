-- The smallest useful service: answers every request with true.
local skynet = require "skynet"

skynet.start(function()
	skynet.dispatch("lua", function()
		skynet.ret(skynet.pack(true))
	end)
end)
