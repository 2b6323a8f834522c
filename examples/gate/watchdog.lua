-- Owns the gate. Each new client gets an agent, and the gate forwards the
-- client's packets to it; when the client goes away the agent is told to
-- quit.
local skynet = require "skynet"

local AGENT = (SERVICE_NAME:match("^(.*/)") or "") .. "agent"

local gate
local agents = {}	-- fd -> agent address

local SOCKET = {}

function SOCKET.open(fd, addr)
	skynet.error(string.format("watchdog: client %d from %s", fd, addr))
	local agent = skynet.newservice(AGENT)
	agents[fd] = agent
	skynet.call(agent, "lua", "start", { gate = gate, client = fd, watchdog = skynet.self() })
end

local function close_agent(fd)
	local agent = agents[fd]
	agents[fd] = nil
	if agent then
		skynet.call(gate, "lua", "kick", fd)
		skynet.send(agent, "lua", "disconnect")
	end
end

function SOCKET.close(fd)
	skynet.error(string.format("watchdog: client %d closed", fd))
	close_agent(fd)
end

function SOCKET.error(fd, msg)
	skynet.error(string.format("watchdog: client %d error %s", fd, msg))
	close_agent(fd)
end

function SOCKET.warning(fd, kb)
	skynet.error(string.format("watchdog: %d K bytes wait to be sent to client %d", kb, fd))
end

-- Only clients not yet forwarded send data here.
function SOCKET.data(fd, msg)
	skynet.error(string.format("watchdog: %d bytes from unforwarded client %d", #msg, fd))
end

local CMD = {}

-- conf: { address, port, maxclient, nodelay } -> address, port
function CMD.start(conf)
	return skynet.call(gate, "lua", "open", conf)
end

function CMD.close(fd)
	close_agent(fd)
end

function CMD.clients()
	local n = 0
	for _ in pairs(agents) do
		n = n + 1
	end
	return n
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, subcmd, ...)
		if cmd == "socket" then
			-- events from the gate are sent, not called: no reply
			SOCKET[subcmd](...)
		else
			local f = assert(CMD[cmd], "watchdog: unknown command")
			skynet.retpack(f(subcmd, ...))
		end
	end)
	gate = skynet.newservice("gate")
end)
