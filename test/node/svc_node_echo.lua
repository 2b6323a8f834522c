local skynet = require "skynet"
skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, v)
		skynet.ret(skynet.pack(cmd, v))
	end)
end)
