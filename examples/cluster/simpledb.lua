-- A tiny key-value store: lua "GET"(key) -> value, "SET"(key, value) ->
-- previous value, and "PING"(text), a send that only logs. Registered under
-- the name SIMPLEDB.
local skynet = require "skynet"
require "skynet.manager"	-- skynet.register

local store = {}
local command = {}

function command.GET(key)
	return store[key]
end

function command.SET(key, value)
	local old = store[key]
	store[key] = value
	return old
end

-- long texts are shortened in the log
local function brief(s)
	s = tostring(s)
	if #s > 24 then
		return string.format("%s...(%d bytes)", s:sub(1, 24), #s)
	end
	return s
end

skynet.start(function()
	skynet.dispatch("lua", function(session, source, cmd, ...)
		cmd = tostring(cmd):upper()
		if cmd == "PING" then
			skynet.error(string.format("%s ping %s", skynet.address(source), brief((...))))
			if session ~= 0 then
				skynet.retpack("PONG")
			end
			return
		end
		local f = command[cmd]
		if not f then
			error("simpledb: unknown command " .. cmd)
		end
		skynet.retpack(f(...))
	end)
	skynet.register "SIMPLEDB"
end)
