-- Helper for the boot_* scenarios: exits inside its start function.
local skynet = require "skynet"

skynet.start(function()
	skynet.exit()
end)
