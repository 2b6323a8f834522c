-- Owns the gate; starts an agent for every connection and ends it when the
-- connection closes.
local skynet = require "skynet"

local CMD = {}
local SOCKET = {}
local gate
local agent = {}	-- fd -> agent

function SOCKET.open(fd, addr)
	skynet.error("New client from : " .. addr)
	agent[fd] = skynet.newservice("agent")
	skynet.call(agent[fd], "lua", "start", { gate = gate, client = fd, watchdog = skynet.self() })
end

local function close_agent(fd)
	local a = agent[fd]
	agent[fd] = nil
	if a then
		skynet.call(gate, "lua", "kick", fd)
		skynet.send(a, "lua", "disconnect")	-- it exits: no answer
	end
end

function SOCKET.close(fd)
	skynet.error("socket close", fd)
	close_agent(fd)
end

function SOCKET.error(fd, msg)
	skynet.error("socket error", fd, msg)
	close_agent(fd)
end

function SOCKET.warning(fd, size)
	skynet.error("socket warning", fd, size)	-- size KiB not sent yet
end

function SOCKET.data(fd, msg)
end

function CMD.start(conf)
	return skynet.call(gate, "lua", "open", conf)
end

function CMD.close(fd)
	close_agent(fd)
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, subcmd, ...)
		if cmd == "socket" then
			SOCKET[subcmd](...)	-- socket events need no answer
		else
			local f = assert(CMD[cmd])
			skynet.ret(skynet.pack(f(subcmd, ...)))
		end
	end)
	gate = skynet.newservice("gate")
end)
