-- A lua service for the console_* scenarios to call, inject into and debug.
local skynet = require "skynet"

local state = { hits = 0 }

local function triple(n)
	local t = n * 3
	return t
end

local CMD = {}

function CMD.echo(...)
	return ...
end

function CMD.hits()
	return state.hits
end

-- Several lines with locals, stepped through by console_debug.
function CMD.work(n)
	local doubled = n * 2
	local tripled = triple(n)
	local sum = doubled + tripled
	state.hits = state.hits + 1
	return sum
end

function CMD.hold()
	skynet.wait()
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = assert(CMD[cmd], cmd)
		skynet.retpack(f(...))
	end)
end)
