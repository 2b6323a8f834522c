-- A service with a memory limit set in its main chunk (arg: limit in bytes).
local skynet = require "skynet"

local limit = tonumber((...)) or 2 * 1024 * 1024
local again
if limit > 0 then
	skynet.memlimit(limit)
	again = pcall(skynet.memlimit, limit)
end

local CMD = {}

-- allocate n KB in 1 KB strings; returns pcall's results
function CMD.alloc(kb)
	local ok, err = pcall(function()
		local t = {}
		for i = 1, kb do
			t[i] = string.rep(string.char(i % 256), 1023) .. i
		end
		return #t
	end)
	collectgarbage "collect"
	return ok, tostring(err)
end

function CMD.state()
	return {
		again = again,
		memlimit = skynet.memlimit,
		kb = collectgarbage "count",
	}
end

function CMD.echo(...)
	return ...
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		skynet.retpack(CMD[cmd](...))
	end)
end)
