-- A service of the harbor process test (test/node/harbor.sh), one on every
-- harbor, registered as the global name "ECHO<harbor id>". It answers
-- pings, relays calls to other harbors, and holds calls when asked (it
-- prints "HELD <n>"). Prints "READY <id>" once registered. Runs on upstream
-- skynet too (Lua 5.4), for interoperability runs.
local skynet = require "skynet"
require "skynet.manager"
local multicast = require "skynet.multicast"

local id = tonumber(skynet.getenv "harbor")
local anonymous = ... == "anonymous"	-- no global name
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

-- multicast: channels by id; every message received is kept for mcgot
local channels = {}
local received = {}

local function channel(id)
	local c = channels[id]
	if not c then
		c = multicast.new {
			channel = id,
			dispatch = function(ch, source, ...)
				received[#received + 1] = { ch.channel, skynet.harbor(source), ... }
			end,
		}
		channels[id] = c
	end
	return c
end

function command.mcnew()
	local c = multicast.new {
		dispatch = function(ch, source, ...)
			received[#received + 1] = { ch.channel, skynet.harbor(source), ... }
		end,
	}
	channels[c.channel] = c
	return c.channel
end

function command.mcsub(id)
	channel(id):subscribe()
	return true
end

function command.mcunsub(id)
	channel(id):unsubscribe()
	return true
end

function command.mcpub(id, ...)
	channel(id):publish(...)
	return true
end

-- publish, then delete the channel at once
function command.mcpubdel(id, ...)
	local c = channel(id)
	c:publish(...)
	c:delete()
	channels[id] = nil
	return true
end

-- the messages received so far (and forget them)
function command.mcgot()
	local r = received
	received = {}
	return r
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
	if not anonymous then
		skynet.register("ECHO" .. id)
		out("READY", id)
	end
end)
