-- Runs a shell command and returns its output (io.popen blocks this
-- service's worker thread, so it lives in a service of its own).
local skynet = require "skynet"

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd)
		local f = io.popen(cmd .. " 2>&1")
		local out = f:read "*a"
		local ok, how, code = f:close()
		skynet.retpack(out, ok, how, code)
	end)
end)
