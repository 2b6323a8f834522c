-- Skeleton of a gate: listens, accepts clients, splits their byte streams
-- into packets (2-byte big-endian length + body, skynet.netpack) and hands
-- each packet to handler.message(fd, msg, sz). msg is a lightuserdata the
-- handler owns: it must free or redirect it.
local skynet = require "skynet"
local netpack = require "skynet.netpack"
local socketdriver = require "skynet.socketdriver"

local gateserver = {}

local listen_fd	-- nil when not listening
local queue	-- netpack queue (partial packets, packets not yet delivered)
local maxclient
local client_number = 0
local nodelay = false

-- fd -> true while its packets are delivered; absent once closed or kicked.
local connection = {}
-- fd -> true for every accepted client that holds a slot under maxclient,
-- until its CLOSE (or ERROR) arrives.
local counted = {}
-- fds refused because maxclient was reached; their CLOSE is not reported.
local refused = {}

local function release_all()
	for fd in pairs(counted) do
		socketdriver.close(fd)
	end
	counted = {}
	connection = {}
	if listen_fd then
		socketdriver.close(listen_fd)
		listen_fd = nil
	end
	if queue then
		netpack.clear(queue)
		queue = nil
	end
end

-- Drop the listener, every client and the packet queue when the service
-- ends: skynet.exit is wrapped for the orderly path, the __gc (lua_close
-- through the table-finalizer shim) covers a killed gate.
local CMD = setmetatable({}, { __gc = release_all })
do
	local exit = skynet.exit
	function skynet.exit(...)
		release_all()
		return exit(...)
	end
end

-- Start reading a client (after handler.connect, usually once the client is
-- forwarded somewhere).
function gateserver.openclient(fd)
	if connection[fd] then
		socketdriver.start(fd)
	end
end

function gateserver.closeclient(fd)
	if connection[fd] ~= nil then
		connection[fd] = nil
		socketdriver.close(fd)
	end
end

function gateserver.start(handler)
	assert(handler.message, "gateserver handler needs message")
	assert(handler.connect, "gateserver handler needs connect")

	local listening	-- { co = waiting coroutine, fd, addr, port } while open() waits

	function CMD.open(source, conf)
		assert(not listen_fd, "gate is already listening")
		local address = conf.address or "0.0.0.0"
		local port = conf.port
		maxclient = conf.maxclient or 1024
		nodelay = conf.nodelay
		skynet.error("Listen on", address, port)
		local fd = socketdriver.listen(address, port, conf.backlog)
		listen_fd = fd
		listening = { co = coroutine.running(), fd = fd }
		skynet.wait(listening.co)
		conf.address = listening.addr
		conf.port = listening.port
		listening = nil
		socketdriver.start(fd)
		if handler.open then
			return handler.open(source, conf)
		end
	end

	function CMD.close()
		assert(listen_fd, "gate is not listening")
		socketdriver.close(listen_fd)
	end

	local MSG = {}

	local function dispatch_msg(fd, msg, sz)
		if connection[fd] then
			handler.message(fd, msg, sz)
		else
			skynet.error(string.format("Drop message from fd (%d) : %s", fd, netpack.tostring(msg, sz)))
		end
	end

	MSG.data = dispatch_msg

	-- Several packets arrived at once. A fork keeps draining the queue if
	-- handler.message blocks; when it does not, the queue is empty by the
	-- time the fork runs.
	local function dispatch_queue()
		local fd, msg, sz = netpack.pop(queue)
		if fd then
			skynet.fork(dispatch_queue)
			dispatch_msg(fd, msg, sz)
			for fd, msg, sz in netpack.pop, queue do
				dispatch_msg(fd, msg, sz)
			end
		end
	end

	MSG.more = dispatch_queue

	function MSG.open(fd, addr)
		if client_number >= maxclient then
			refused[fd] = true
			socketdriver.shutdown(fd)
			return
		end
		client_number = client_number + 1
		counted[fd] = true
		if nodelay then
			socketdriver.nodelay(fd)
		end
		connection[fd] = true
		handler.connect(fd, addr)
	end

	-- The client is gone for good (CLOSE or ERROR); free its slot once.
	local function forget(fd)
		if not counted[fd] then
			return false
		end
		counted[fd] = nil
		client_number = client_number - 1
		return true
	end

	function MSG.close(fd)
		if fd == listen_fd then
			listen_fd = nil
			return
		end
		if refused[fd] then
			refused[fd] = nil
			return
		end
		if not forget(fd) then
			return
		end
		-- The socket server keeps a peer-closed socket (and its id) until
		-- someone closes it; a watchdog that never kicks would leak it.
		if connection[fd] ~= nil then
			connection[fd] = nil
			socketdriver.close(fd)
		end
		if handler.disconnect then
			handler.disconnect(fd)
		end
	end

	function MSG.error(fd, msg)
		if fd == listen_fd then
			skynet.error("gateserver accept error:", msg)
			return
		end
		socketdriver.shutdown(fd)
		connection[fd] = nil
		if refused[fd] then
			refused[fd] = nil
			return
		end
		if forget(fd) and handler.error then
			handler.error(fd, msg)
		end
	end

	function MSG.warning(fd, size)
		if handler.warning then
			handler.warning(fd, size)
		end
	end

	-- CONNECT: for the listener, the bound address and port.
	function MSG.init(id, addr, port)
		if listening and listening.co and id == listening.fd then
			local co = listening.co
			listening.co = nil
			listening.addr = addr
			listening.port = port
			skynet.wakeup(co)
		end
	end

	skynet.register_protocol {
		name = "socket",
		id = skynet.PTYPE_SOCKET,
		unpack = function(msg, sz)
			return netpack.filter(queue, msg, sz)
		end,
		dispatch = function(_, _, q, type, ...)
			queue = q
			if type then
				MSG[type](...)
			end
		end,
	}

	local function init()
		skynet.dispatch("lua", function(_, address, cmd, ...)
			local f = CMD[cmd]
			if f then
				skynet.ret(skynet.pack(f(address, ...)))
			else
				skynet.ret(skynet.pack(handler.command(cmd, address, ...)))
			end
		end)
	end

	if handler.embed then
		init()
	else
		skynet.start(init)
	end
end

return gateserver
