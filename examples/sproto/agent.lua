-- One client's agent: answers the c2s requests of proto.lua and sends a
-- heartbeat request every 5 s.
local skynet = require "skynet"
local socket = require "skynet.socket"
local sprotoloader = require "sprotoloader"

local WATCHDOG
local host
local send_request
local client_fd

local CMD = {}
local REQUEST = {}

function REQUEST:get()
	local r = skynet.call("SIMPLEDB", "lua", "get", self.what)
	return { result = r }
end

function REQUEST:set()
	skynet.call("SIMPLEDB", "lua", "set", self.what, self.value)
end

function REQUEST:handshake()
	return { msg = "Welcome to skynet, I will send heartbeat every 5 sec." }
end

function REQUEST:quit()
	skynet.call(WATCHDOG, "lua", "close", client_fd)
end

local function request(name, args, response)
	local f = assert(REQUEST[name], name)
	local r = f(args)
	if response then
		return response(r)
	end
end

local function send_package(pack)
	local n = #pack
	socket.write(client_fd, string.char(math.floor(n / 256), n % 256) .. pack)
end

skynet.register_protocol {
	name = "client",
	id = skynet.PTYPE_CLIENT,
	unpack = function(msg, sz)
		return host:dispatch(msg, sz)
	end,
	dispatch = function(fd, _, type, ...)
		assert(fd == client_fd)
		skynet.ignoreret()	-- the session is the fd: nothing to return
		if type == "REQUEST" then
			local ok, result = pcall(request, ...)
			if ok then
				if result then
					send_package(result)
				end
			else
				skynet.error(result)
			end
		else
			error "This example doesn't support request client"
		end
	end,
}

function CMD.start(conf)
	WATCHDOG = conf.watchdog
	host = sprotoloader.load(1):host "package"
	send_request = host:attach(sprotoloader.load(2))
	client_fd = conf.client
	-- forward first: the gate starts the socket then, and until then a
	-- write to it is dropped (upstream loses its first heartbeat that way)
	skynet.call(conf.gate, "lua", "forward", client_fd)
	skynet.fork(function()
		while true do
			send_package(send_request "heartbeat")
			skynet.sleep(500)
		end
	end)
end

function CMD.disconnect()
	skynet.exit()
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, command, ...)
		local f = CMD[command]
		skynet.ret(skynet.pack(f(...)))
	end)
end)
