-- A packet gate. Clients are reported to the watchdog (lua "socket" open /
-- close / error / warning / data). Once a client is forwarded to an agent,
-- its packets go straight to that agent as PTYPE_CLIENT messages with
-- session = fd and source = the client address given to forward.
local skynet = require "skynet"
local gateserver = require "snax.gateserver"

local watchdog
local connection = {}	-- fd -> { fd, ip, agent, client }

skynet.register_protocol {
	name = "client",
	id = skynet.PTYPE_CLIENT,
}

local handler = {}

function handler.open(source, conf)
	watchdog = conf.watchdog or source
	return conf.address, conf.port
end

function handler.message(fd, msg, sz)
	local c = connection[fd]
	local agent = c and c.agent
	if agent then
		-- the message buffer passes to the agent: no copy, no free here
		skynet.redirect(agent, c.client, "client", fd, msg, sz)
	else
		skynet.send(watchdog, "lua", "socket", "data", fd, skynet.tostring(msg, sz))
		skynet.trash(msg, sz)
	end
end

function handler.connect(fd, addr)
	connection[fd] = { fd = fd, ip = addr }
	skynet.send(watchdog, "lua", "socket", "open", fd, addr)
end

local function unforward(c)
	c.agent = nil
	c.client = nil
end

local function forget(fd)
	local c = connection[fd]
	if c then
		unforward(c)
		connection[fd] = nil
	end
end

function handler.disconnect(fd)
	forget(fd)
	skynet.send(watchdog, "lua", "socket", "close", fd)
end

function handler.error(fd, msg)
	forget(fd)
	skynet.send(watchdog, "lua", "socket", "error", fd, msg)
end

function handler.warning(fd, size)
	skynet.send(watchdog, "lua", "socket", "warning", fd, size)
end

local CMD = {}

-- Send fd's packets to agent (default: the caller) as if from client
-- (default 0, i.e. the gate itself), and start reading it.
function CMD.forward(source, fd, client, agent)
	local c = assert(connection[fd], "forward: unknown fd")
	unforward(c)
	c.client = client or 0
	c.agent = agent or source
	gateserver.openclient(fd)
end

-- Start reading fd; its packets go to the watchdog as "data".
function CMD.accept(source, fd)
	local c = assert(connection[fd], "accept: unknown fd")
	unforward(c)
	gateserver.openclient(fd)
end

function CMD.kick(source, fd)
	gateserver.closeclient(fd)
end

function handler.command(cmd, source, ...)
	local f = assert(CMD[cmd], "gate: unknown command")
	return f(source, ...)
end

gateserver.start(handler)
