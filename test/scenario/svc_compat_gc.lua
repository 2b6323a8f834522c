-- Holds tables with __gc metamethods and reports their finalizers to the
-- watcher (arg 1): one dropped while running, one alive until the service
-- exits and its state is closed.
local skynet = require "skynet"

local watcher = tonumber((...))

local function watched(name)
	return setmetatable({ name = name }, { __gc = function(t)
		skynet.send(watcher, "lua", "finalized", t.name)
	end })
end

local kept = watched "at exit"

local CMD = {}

function CMD.drop()
	do local _ = watched "collected" end
	collectgarbage "collect"
	collectgarbage "collect"
	return kept.name
end

function CMD.exit()
	skynet.exit()
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd)
		skynet.ret(skynet.pack(CMD[cmd]()))
	end)
end)
