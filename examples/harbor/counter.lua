-- A service with a global name, COUNTER: any harbor can call it by name.
--	incr() -> the new count, this harbor's id
local skynet = require "skynet"
require "skynet.manager"

local count = 0

skynet.start(function()
	skynet.dispatch("lua", function(_, source, cmd)
		assert(cmd == "incr")
		count = count + 1
		skynet.error(string.format("incr from %s (harbor %d): %d",
			skynet.address(source), skynet.harbor(source), count))
		skynet.ret(skynet.pack(count, skynet.harbor(skynet.self())))
	end)
	skynet.register "COUNTER"
end)
