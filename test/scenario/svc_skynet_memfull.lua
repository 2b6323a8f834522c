-- A service that fills its heap up to its memlimit, then tries one part of
-- skynet.lua that loads on first use (arg: exit, term, query, debug), keeping
-- only `reserve` bytes of headroom: less than loading the part costs.
local skynet = require "skynet"

local part, reserve, tester = ...
reserve = tonumber(reserve)
tester = tonumber(tester)
skynet.memlimit(1024 * 1024)
-- The JIT's own allocations (traces of the loops below) count against the
-- limit too and would make the headroom left after fill() unpredictable.
jit.off()

local hold = {}

-- Small blocks until an allocation fails: the heap is then within a few
-- dozen bytes of the limit. Then give back `reserve` bytes of them.
local function fill()
	local ok = pcall(function()
		while true do
			hold = { hold }
		end
	end)
	assert(not ok)
	local freed = 0
	while freed < reserve do
		hold = hold[1]
		freed = freed + 64
	end
	collectgarbage "collect"
end

local function report(...)
	skynet.send(tester, "lua", part, ...)
end

skynet.start(function()
	fill()
	if part == "exit" then
		skynet.exit()
	elseif part == "term" then
		local ok, err = pcall(skynet.term, tester)
		report(ok, tostring(err))
	elseif part == "query" then
		local ok, name = pcall(skynet.localname, ".launcher")
		report(ok, tostring(name))
	end
	-- "debug": the tester sends a debug message
end)
