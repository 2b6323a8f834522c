-- A key/value store for the agents, registered as SIMPLEDB.
local skynet = require "skynet"
require "skynet.manager"

local db = {}
local command = {}

function command.get(key)
	return db[key]
end

function command.set(key, value)
	local last = db[key]
	db[key] = value
	return last
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = assert(command[cmd], cmd)
		skynet.ret(skynet.pack(f(...)))
	end)
	skynet.register "SIMPLEDB"
end)
