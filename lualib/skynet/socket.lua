-- Blocking socket API for Lua services, built on skynet.socketdriver.
-- Every socket started, opened or listened on by this service is tracked in
-- `sockets`; socket events (PTYPE_SOCKET) wake the coroutine that waits on it.
local driver = require "skynet.socketdriver"
local skynet = require "skynet"
local core = require "skynet.core"

local assert = assert
local type = type

-- A socket whose unread input grows past this is paused until the next read.
local BUFFER_LIMIT = 128 * 1024

local socket = {}

-- id -> socket object:
--   id, protocol ("TCP"|"UDP"), buffer, pool (read buffer and its node pool),
--   connected, connecting (true, or the connect error text), listen,
--   callback (accept callback for listeners, receive callback for UDP),
--   co (coroutine waiting on this socket), read_required (what it waits for:
--   byte count, line separator, true = until close), pause (nil running,
--   true paused, false = never resume), closing (coroutine inside close),
--   buffer_limit, on_warning, addr/port (listeners).
local sockets = {}
local onclose = {}
local event = {}

local function close_all()
	for id in pairs(sockets) do
		sockets[id] = nil
		driver.close(id)
	end
end

-- Release the sockets of this service when it goes away. skynet.exit is
-- wrapped for the orderly path; the __gc (run by lua_close through the
-- table-finalizer shim) covers services that are killed from outside.
setmetatable(sockets, { __gc = close_all })
do
	local exit = skynet.exit
	function skynet.exit(...)
		close_all()
		return exit(...)
	end
end

local function wakeup(s)
	local co = s.co
	if co then
		s.co = nil
		skynet.wakeup(co)
	end
end

local function pause_socket(s, size)
	if s.pause ~= nil then
		return
	end
	if size then
		skynet.error(string.format("Pause socket (%d) size : %d", s.id, size))
	else
		skynet.error(string.format("Pause socket (%d)", s.id))
	end
	driver.pause(s.id)
	s.pause = true
	-- socket messages already queued still arrive; let them be handled
	-- before the reader is resumed.
	skynet.yield()
end

-- Block the running coroutine until an event for s wakes it.
local function suspend(s)
	assert(not s.co, "socket is being read by another coroutine")
	local co = coroutine.running()
	s.co = co
	if s.pause then
		skynet.error(string.format("Resume socket (%d)", s.id))
		driver.start(s.id)
		skynet.wait(co)
		s.pause = nil
	else
		skynet.wait(co)
	end
	-- close() waits for the reader to finish with the buffer before it
	-- forgets the socket.
	if s.closing then
		skynet.wakeup(s.closing)
	end
end

-- 1 DATA
event[1] = function(id, size, data)
	local s = sockets[id]
	if s == nil or s.buffer == nil then
		skynet.error("socket: drop package from " .. id)
		driver.drop(data, size)
		return
	end
	local sz = driver.push(s.buffer, s.pool, data, size)
	local want = s.read_required
	local kind = type(want)
	if kind == "number" then
		if sz >= want then
			s.read_required = nil
			if sz > BUFFER_LIMIT then
				pause_socket(s, sz)
			end
			wakeup(s)
		end
		return
	end
	if s.buffer_limit and sz > s.buffer_limit then
		skynet.error(string.format("socket buffer overflow: fd=%d size=%d", id, sz))
		driver.close(id)
		return
	end
	if kind == "string" then
		if driver.readline(s.buffer, nil, want) then
			s.read_required = nil
			if sz > BUFFER_LIMIT then
				pause_socket(s, sz)
			end
			wakeup(s)
		end
	elseif sz > BUFFER_LIMIT and want ~= true then
		-- (readall waits for the close, so it must keep reading)
		pause_socket(s, sz)
	end
end

-- 2 CONNECT: a connect, listen, start, transfer or bind completed.
event[2] = function(id, ud, addr)
	local s = sockets[id]
	if s == nil or s.connected then
		return
	end
	if s.listen then
		s.addr = addr
		s.port = ud
	end
	s.connected = true
	wakeup(s)
end

-- 3 CLOSE: the peer closed (or we did); the id stays valid until close().
event[3] = function(id)
	local s = sockets[id]
	if s then
		s.connected = false
		wakeup(s)
	else
		driver.close(id)
	end
	local cb = onclose[id]
	if cb then
		onclose[id] = nil
		cb(id)
	end
end

-- 4 ACCEPT on a started listener.
event[4] = function(id, newid, addr)
	local s = sockets[id]
	if s == nil or s.callback == nil then
		driver.close(newid)
		return
	end
	s.callback(newid, addr)
end

-- 5 ERROR
event[5] = function(id, _, err)
	local s = sockets[id]
	if s == nil then
		driver.shutdown(id)
		skynet.error("socket: error on unknown", id, err)
		return
	end
	if s.callback and s.protocol == "TCP" then
		skynet.error("socket: accept error:", err)
		return
	end
	if s.connected then
		skynet.error("socket: error on", id, err)
	elseif s.connecting then
		s.connecting = err
	end
	s.connected = false
	driver.shutdown(id)
	wakeup(s)
end

-- 6 UDP datagram
event[6] = function(id, size, data, address)
	local s = sockets[id]
	if s == nil or s.callback == nil then
		skynet.error("socket: drop udp package from " .. id)
		driver.drop(data, size)
		return
	end
	local str = skynet.tostring(data, size)
	core.trash(data, size)
	s.callback(str, address)
end

local function default_warning(id, size)
	if sockets[id] then
		skynet.error(string.format("WARNING: %d K bytes need to send out (fd = %d)", size, id))
	end
end

-- 7 WARNING: size KiB are waiting to be sent (0 = drained again).
event[7] = function(id, size)
	local s = sockets[id]
	if s then
		local f = s.on_warning or default_warning
		f(id, size)
	end
end

skynet.register_protocol {
	name = "socket",
	id = skynet.PTYPE_SOCKET,
	unpack = driver.unpack,
	dispatch = function(_, _, t, ...)
		local f = event[t]
		if f then
			f(...)
		else
			skynet.error("socket: unknown socket message type", t)
		end
	end,
}

-- Track id and wait until the socket server reports it usable (CONNECT) or
-- failed (ERROR / CLOSE). accept_cb marks a listener (no read buffer).
local function attach(id, accept_cb)
	assert(not onclose[id], "socket has onclose callback")
	local old = sockets[id]
	if old and not old.listen then
		error("socket is not closed")
	end
	local buffer
	if accept_cb == nil then
		buffer = driver.buffer()
	end
	local s = {
		id = id,
		protocol = "TCP",
		buffer = buffer,
		pool = buffer and {},
		connected = false,
		connecting = true,
		read_required = false,
		co = false,
		callback = accept_cb,
	}
	sockets[id] = s
	suspend(s)
	local err = s.connecting
	s.connecting = nil
	if s.connected then
		return id
	end
	if sockets[id] == s then
		sockets[id] = nil
	end
	if err == true then
		err = "socket closed"
	end
	return nil, err
end

function socket.open(addr, port)
	return attach(driver.connect(addr, port))
end

function socket.bind(os_fd)
	return attach(driver.bind(os_fd))
end

function socket.stdin()
	return socket.bind(0)
end

-- Start reading an accepted/abandoned socket (this service becomes its
-- owner) or start accepting on a listener (accept_cb(newid, "ip:port")).
function socket.start(id, accept_cb)
	driver.start(id)
	return attach(id, accept_cb)
end

function socket.pause(id)
	local s = sockets[id]
	if s then
		pause_socket(s)
	end
end

-- Close at once, discarding unsent data; a CLOSE follows, close(id) is
-- still needed to forget the id.
function socket.shutdown(id)
	if sockets[id] then
		driver.shutdown(id)
	end
end

-- Close an id this service never started (e.g. refused accept).
function socket.close_fd(id)
	assert(sockets[id] == nil, "Use socket.close instead")
	driver.close(id)
end

function socket.close(id)
	local s = sockets[id]
	if s == nil then
		return
	end
	driver.close(id)
	if s.connected then
		s.pause = false
		if s.co then
			-- another coroutine is reading: let it drain the buffer first
			assert(not s.closing)
			s.closing = coroutine.running()
			skynet.wait(s.closing)
		else
			suspend(s)
		end
		s.connected = false
	else
		-- a coroutine still inside open/start gets its failure now
		wakeup(s)
	end
	if sockets[id] == s then
		sockets[id] = nil
		onclose[id] = nil
	end
end

local function rest(s)
	return false, driver.readall(s.buffer, s.pool)
end

-- Takes sz bytes with take(buffer, pool, sz), waiting for them while the
-- socket is open; nil when the peer closed (or we did) before they came.
local function take_sized(s, sz, take)
	local v = take(s.buffer, s.pool, sz)
	if v or s.closing or not s.connected then
		return v
	end
	assert(not s.read_required)
	s.read_required = sz
	suspend(s)
	return take(s.buffer, s.pool, sz)
end

-- read(id) returns whatever is buffered (waiting for at least one byte);
-- read(id, sz) returns exactly sz bytes. Once the peer has closed, the
-- result is false plus the bytes left over.
function socket.read(id, sz)
	local s = assert(sockets[id], "socket.read: invalid socket")
	if sz == nil then
		local data = driver.readall(s.buffer, s.pool)
		if data ~= "" then
			return data
		end
		if not s.connected then
			return false, data
		end
		assert(not s.read_required)
		s.read_required = 0
		suspend(s)
		data = driver.readall(s.buffer, s.pool)
		if data ~= "" then
			return data
		end
		return false, data
	end
	if sz == 0 then
		return ""
	end
	local data = take_sized(s, sz, driver.pop)
	if data then
		return data
	end
	return rest(s)
end

-- read(id, sz) as msg, sz: a skynet_malloc'd block the caller owns, for
-- payloads that should not become Lua strings; false once the peer has
-- closed before sz bytes came.
function socket.readmsg(id, sz)
	local s = assert(sockets[id], "socket.readmsg: invalid socket")
	local msg = take_sized(s, sz, driver.popmsg)
	if msg then
		return msg, sz
	end
	return false
end

-- Everything until the peer closes (false if nothing came at all).
function socket.readall(id)
	local s = assert(sockets[id], "socket.readall: invalid socket")
	if not s.connected then
		local data = driver.readall(s.buffer, s.pool)
		return data ~= "" and data
	end
	assert(not s.read_required)
	s.read_required = true
	suspend(s)
	return driver.readall(s.buffer, s.pool)
end

function socket.readline(id, sep)
	sep = sep or "\n"
	local s = assert(sockets[id], "socket.readline: invalid socket")
	local line = driver.readline(s.buffer, s.pool, sep)
	if line then
		return line
	end
	if not s.connected then
		return rest(s)
	end
	assert(not s.read_required)
	s.read_required = sep
	suspend(s)
	-- the line may have come together with the close
	line = driver.readline(s.buffer, s.pool, sep)
	if line then
		return line
	end
	return rest(s)
end

-- Wait until data arrives or the socket closes; true while still connected.
function socket.block(id)
	local s = sockets[id]
	if not s or not s.connected then
		return false
	end
	assert(not s.read_required)
	s.read_required = 0
	suspend(s)
	return s.connected
end

socket.write = assert(driver.send)
socket.lwrite = assert(driver.lsend)
socket.header = assert(driver.header)

function socket.invalid(id)
	return sockets[id] == nil
end

function socket.disconnected(id)
	local s = sockets[id]
	if s then
		return not (s.connected or s.connecting)
	end
end

-- Returns id, bound address, bound port (useful with port 0). The listener
-- accepts only after socket.start(id, accept_cb).
function socket.listen(host, port, backlog)
	local id = driver.listen(host, port, backlog)
	local s = {
		id = id,
		protocol = "TCP",
		connected = false,
		listen = true,
	}
	assert(sockets[id] == nil)
	sockets[id] = s
	suspend(s)
	return id, s.addr, s.port
end

-- Give up a socket without closing it, so another service can start() it.
function socket.abandon(id)
	local s = sockets[id]
	if s then
		s.connected = false
		wakeup(s)
		onclose[id] = nil
		sockets[id] = nil
	end
end

-- Close the socket when more than `limit` unread bytes pile up.
function socket.limit(id, limit)
	local s = assert(sockets[id], "socket.limit: invalid socket")
	s.buffer_limit = limit
end

---------------------- UDP

local function udp_object(id, cb)
	assert(not sockets[id], "socket is not closed")
	sockets[id] = {
		id = id,
		protocol = "UDP",
		connected = true,
		callback = cb,
	}
	return id
end

function socket.udp(callback, host, port)
	return udp_object(driver.udp(host, port), callback)
end

function socket.udp_connect(id, addr, port, callback)
	local s = sockets[id]
	if s then
		assert(s.protocol == "UDP", "not an udp socket")
		if callback then
			s.callback = callback
		end
	else
		udp_object(id, callback)
	end
	driver.udp_connect(id, addr, port)
end

function socket.udp_listen(addr, port, callback)
	return udp_object(driver.udp_listen(addr, port), callback)
end

function socket.udp_dial(addr, port, callback)
	return udp_object(driver.udp_dial(addr, port), callback)
end

socket.sendto = assert(driver.udp_send)
socket.udp_address = assert(driver.udp_address)
socket.netstat = assert(driver.info)
socket.resolve = assert(driver.resolve)

-- callback(id, kb): kb KiB wait to be sent; 0 once drained.
function socket.warning(id, callback)
	local s = assert(sockets[id], "socket.warning: invalid socket")
	s.on_warning = callback
end

-- callback(id) runs once when the socket's CLOSE arrives.
function socket.onclose(id, callback)
	onclose[id] = callback
end

return socket
