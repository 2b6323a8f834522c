-- Helper for the boot_* scenarios: remembers its launch args and answers
--	args -> the launch args;  ping(...) -> "pong", ...
--	spin(cs) (send) -> keeps its worker busy for cs centiseconds
local skynet = require "skynet"

local args = table.pack(...)

local command = {}

function command.args()
	skynet.retpack(table.unpack(args, 1, args.n))
end

function command.ping(...)
	skynet.retpack("pong", ...)
end

function command.spin(cs)
	local stop = skynet.now() + cs
	while skynet.now() < stop do
	end
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		command[cmd](...)
	end)
end)
