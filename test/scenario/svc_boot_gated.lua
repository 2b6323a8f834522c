-- Helper for the boot_* scenarios: its start function blocks until the
-- datacenter key ("gate", <first arg>) is set; then it answers `args`.
local skynet = require "skynet"
local datacenter = require "skynet.datacenter"

local args = table.pack(...)

skynet.start(function()
	datacenter.wait("gate", args[1])
	skynet.dispatch("lua", function(_, _, cmd)
		assert(cmd == "args")
		skynet.retpack(table.unpack(args, 1, args.n))
	end)
end)
