-- Helper for the boot_* scenarios: its start function raises.
local skynet = require "skynet"

skynet.start(function()
	error "svc_boot_fail refuses to start"
end)
