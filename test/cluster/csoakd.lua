-- The service the soak test calls on every node ("@soak"). Answers carry the
-- node's incarnation (its restart count) so a caller can tell whether the
-- node restarted between two of its calls.
local skynet = require "skynet"

local node = skynet.getenv "node_name"
local incarnation = node .. "#" .. (skynet.getenv "soak_incarnation" or "0")
local seen = {}	-- caller -> last sequence number its sends delivered

local CMD = {}

function CMD.add(a, b)
	return a + b, node, incarnation
end

function CMD.seen(from)
	return seen[from] or 0, incarnation
end

skynet.start(function()
	skynet.dispatch("lua", function(session, _, cmd, ...)
		if cmd == "note" then
			local from, seq = ...
			seen[from] = seq
			return
		end
		skynet.ret(skynet.pack(CMD[cmd](...)))
	end)
end)
