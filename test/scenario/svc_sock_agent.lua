-- Agent for the gate scenario: receives a client's packets from the gate
-- (PTYPE_CLIENT, session = fd), records how they arrived, answers each with
-- a framed "ack:<packet>".
local skynet = require "skynet"
local socket = require "skynet.socket"
local L = require "svc_socklib"

local received = {}

skynet.register_protocol {
	name = "client",
	id = skynet.PTYPE_CLIENT,
	unpack = skynet.tostring,
	dispatch = function(session, source, text)
		skynet.ignoreret()
		received[#received + 1] = { session = session, source = source, text = text }
		socket.write(session, L.frame("ack:" .. text))
	end,
}

local CMD = {}

-- Ask the gate to forward fd here with its defaults (agent = caller).
function CMD.forward(gate, fd)
	return skynet.call(gate, "lua", "forward", fd)
end

function CMD.received()
	local r = received
	received = {}
	return r
end

-- Queue `mb` MiB for fd (a socket owned by the gate).
function CMD.flood(fd, mb)
	local block = string.rep("f", 1024 * 1024)
	for _ = 1, mb do
		socket.write(fd, block)
	end
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = assert(CMD[cmd], "svc_sock_agent: unknown command")
		skynet.retpack(f(...))
	end)
end)
