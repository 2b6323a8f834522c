-- cluster_send receiver: counts "inc" messages and remembers the skynet time
-- of the first and the last one, so the rate is measured where they arrive.
local skynet = require "skynet"

local count = 0
local first, last

local command = {}

function command.inc()
	local now = skynet.now()
	first = first or now
	last = now
	count = count + 1
end

function command.sync()
	skynet.ret(skynet.pack(count))
end

function command.reset()
	count, first, last = 0, nil, nil
	skynet.ret(skynet.pack(true))
end

function command.report()
	skynet.ret(skynet.pack(count, first, last))
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		command[cmd](...)
	end)
end)
