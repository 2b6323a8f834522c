-- Target service of the cluster scenarios. Calls return values; sends are
-- recorded in order and read back with "pushed".
local skynet = require "skynet"

local pushed = {}
local CMD = {}

function CMD.echo(...)
	return ...
end

function CMD.len(s)
	return #s
end

function CMD.rep(c, n)
	return string.rep(c, n)
end

function CMD.fail()
	error("deliberate failure")
end

function CMD.sleep(ti, v)
	skynet.sleep(ti)
	return v
end

function CMD.push(v)
	pushed[#pushed + 1] = v
end

function CMD.count()
	return #pushed
end

function CMD.pushed()
	local r = pushed
	pushed = {}
	return r
end

function CMD.self()
	return skynet.self()
end

skynet.start(function()
	skynet.dispatch("lua", function(session, _, cmd, ...)
		local f = assert(CMD[cmd], cmd)
		if session == 0 then
			f(...)
		else
			skynet.retpack(f(...))
		end
	end)
end)
