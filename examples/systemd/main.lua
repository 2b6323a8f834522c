-- The start service of the installed example config: replace with yours.
local skynet = require "skynet"

skynet.start(function()
	skynet.error("skynet node started")
end)
