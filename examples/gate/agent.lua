-- Serves one client. The gate delivers the client's packets as "client"
-- messages whose session is the client fd. Commands (one per packet):
--	ping          -> pong
--	echo <text>   -> <text>
--	count         -> packets handled so far
--	quit          -> bye, then the connection is closed
local skynet = require "skynet"
local socket = require "skynet.socket"
local netpack = require "skynet.netpack"

local watchdog
local client_fd
local handled = 0

local function reply(text)
	socket.write(client_fd, netpack.pack(text))
end

local REQUEST = {}

function REQUEST.ping()
	return "pong"
end

function REQUEST.echo(text)
	return text
end

function REQUEST.count()
	return tostring(handled)
end

function REQUEST.quit()
	skynet.fork(skynet.call, watchdog, "lua", "close", client_fd)
	return "bye"
end

skynet.register_protocol {
	name = "client",
	id = skynet.PTYPE_CLIENT,
	unpack = skynet.tostring,
	dispatch = function(fd, _, text)
		-- the session is the fd, not a request to answer
		skynet.ignoreret()
		assert(fd == client_fd)
		handled = handled + 1
		local cmd, arg = text:match("^(%S+)%s?(.*)$")
		local f = REQUEST[cmd]
		if f then
			reply(f(arg))
		else
			reply("error: unknown command " .. tostring(cmd))
		end
	end,
}

local CMD = {}

function CMD.start(conf)
	watchdog = conf.watchdog
	client_fd = conf.client
	skynet.call(conf.gate, "lua", "forward", client_fd)
end

function CMD.disconnect()
	skynet.exit()
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = assert(CMD[cmd], "agent: unknown command")
		skynet.retpack(f(...))
	end)
end)
