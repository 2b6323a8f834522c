-- Receiver of the local workloads: counts "inc" messages, answers "count",
-- echoes the arguments of "echo".
local skynet = require "skynet"

local received = 0

local command = {}

function command.inc()
	received = received + 1
end

function command.count()
	skynet.ret(skynet.pack(received))
end

function command.echo(...)
	skynet.ret(skynet.pack(...))
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		command[cmd](...)
	end)
end)
