-- A service of the harbor process test (test/node/harbor.sh), one on every
-- harbor, registered as the global name "ECHO<harbor id>". It answers
-- pings, relays calls to other harbors, and holds calls when asked (it
-- prints "HELD <n>"). Prints "READY <id>" once registered. Runs on upstream
-- skynet too (Lua 5.4), for interoperability runs.
local skynet = require "skynet"
require "skynet.manager"

local id = tonumber(skynet.getenv "harbor")
local held = {}
local notes = 0

local function out(...)
	io.stdout:write(table.concat({ ... }, " "), "\n")
	io.stdout:flush()
end

local command = {}

function command.ping(...)
	return "pong", id, ...
end

function command.note()
	notes = notes + 1
end

function command.notes()
	return notes
end

function command.relay(name, ...)
	return skynet.call(name, "lua", "ping", ...)
end

function command.register(name)
	skynet.register(name)
	return true
end

skynet.start(function()
	skynet.dispatch("lua", function(session, _, cmd, ...)
		if cmd == "hold" then
			held[#held + 1] = skynet.response()
			out("HELD", #held)
			return
		end
		local f = assert(command[cmd], cmd)
		if session == 0 then
			f(...)
		else
			skynet.ret(skynet.pack(f(...)))
		end
	end)
	skynet.register("ECHO" .. id)
	out("READY", id)
end)
