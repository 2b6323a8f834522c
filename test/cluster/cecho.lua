-- The service a cluster test calls on a remote node. Every answer that could
-- come from more than one node carries the node's name.
local skynet = require "skynet"
local cluster = require "skynet.cluster"
local T = require "ctest"

local node = skynet.getenv "node_name"
local CMD = {}

function CMD.whoami()
	return node
end

function CMD.echo(...)
	return ...
end

-- A small computation per call, optionally after a delay, so that many
-- concurrent calls finish out of order.
function CMD.square(i, delay)
	if delay and delay > 0 then
		skynet.sleep(delay)
	end
	return i, i * i, node
end

function CMD.mirror(s)
	return s:reverse(), #s
end

function CMD.make(n, seed)
	return T.blob(n, seed)
end

function CMD.fail(msg)
	error(msg)
end

local pushes = {}

function CMD.push(v)
	pushes[#pushes + 1] = v
end

function CMD.pushed()
	local p = pushes
	pushes = {}
	return p
end

local stored

function CMD.store(s)
	stored = s
end

function CMD.stored()
	return stored
end

-- hold() answers only at release(); each held call is announced on stdout
-- so the test script knows how many calls are in flight.
local held = {}

function CMD.hold()
	held[#held + 1] = skynet.response()
	T.out("HELD " .. #held)
	return CMD
end

function CMD.release(v)
	local n = #held
	for _, r in ipairs(held) do
		r(true, v)
	end
	held = {}
	return n
end

function CMD.spawn_named(name)
	local s = skynet.newservice("cecho")
	cluster.register(name, s)
	return s
end

function CMD.unregister(name)
	cluster.unregister(name)
	return true
end

function CMD.call(...)
	return cluster.call(...)
end

function CMD.send(...)
	cluster.send(...)
end

skynet.start(function()
	skynet.dispatch("lua", function(session, _, cmd, ...)
		local f = assert(CMD[cmd], cmd)
		if session == 0 then
			f(...)
			return
		end
		local function reply(...)
			if ... ~= CMD then	-- CMD: the call answers later
				skynet.retpack(...)
			end
		end
		reply(f(...))
	end)
end)
