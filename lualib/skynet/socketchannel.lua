-- A request/response channel over one TCP connection that reconnects on
-- demand. Two modes:
--   order mode (no desc.response): each request names a function that reads
--     its own response; responses come back in request order.
--   session mode (desc.response = function(sock) -> session, ok, data[, padding]):
--     requests carry a session and responses may arrive in any order; padding
--     marks one part of a multi-part response (parts are gathered in a table).
-- Every connection has its own dispatch thread and its own set of waiting
-- requests. When that connection ends, for whatever reason, all of them fail
-- at once with socketchannel.error: nobody waits on a dead socket.
local skynet = require "skynet"
local socket = require "skynet.socket"
local socketdriver = require "skynet.socketdriver"

local socket_channel = {}
local channel = {}
local channel_meta = { __index = channel }

local socket_error = setmetatable({}, { __tostring = function() return "[Error: socket]" end })
socket_channel.error = socket_error

-- The sock object given to response/auth functions: { fd } with read and
-- readline raising socket_error once the connection is gone.
local channel_socket = {}

local function raise_on_failure(f)
	return function(sock, ...)
		local fd = sock[1]
		if not fd or socket.invalid(fd) then
			error(socket_error)
		end
		local r = f(fd, ...)
		if not r then
			error(socket_error)
		end
		return r
	end
end

channel_socket.read = raise_on_failure(socket.read)
channel_socket.readline = raise_on_failure(socket.readline)

-- sock:readmsg(sz) -> msg, sz: see socket.readmsg
function channel_socket.readmsg(sock, sz)
	local fd = sock[1]
	if not fd or socket.invalid(fd) then
		error(socket_error)
	end
	local msg = socket.readmsg(fd, sz)
	if not msg then
		error(socket_error)
	end
	return msg, sz
end

local function release_sock(sock)
	local fd = sock[1]
	sock[1] = false
	if fd then
		socket.shutdown(fd)
	end
end

local channel_socket_meta = {
	__index = channel_socket,
	__gc = release_sock,
}

function socket_channel.channel(desc)
	local c = {
		__host = assert(desc.host, "socketchannel needs a host"),
		__port = desc.port,
		__backup = desc.backup,
		__auth = desc.auth,
		__handshake = desc.handshake,	-- function(fd) on each new connection, raising to refuse it (ours)
		__response = desc.response,
		__result = {},		-- coroutine -> ok (or socket_error)
		__result_data = {},	-- coroutine -> data (or parts of a padded response)
		__connecting = {},	-- [1] = true while connecting, then the waiters
		__sock = false,
		__conn = false,
		__closed = false,
		__authcoroutine = false,
		__nodelay = desc.nodelay,
		__overload_notify = desc.overload,
		__overload = false,
		__timeout = desc.timeout,	-- centiseconds a request may wait for its response
		__socket_meta = channel_socket_meta,
	}
	if desc.socket_read or desc.socket_readline then
		c.__socket_meta = {
			__index = {
				read = desc.socket_read or channel_socket.read,
				readline = desc.socket_readline or channel_socket.readline,
			},
			__gc = release_sock,
		}
	end
	return setmetatable(c, channel_meta)
end

local function finish(self, co, ok, data)
	self.__result[co] = ok
	self.__result_data[co] = data
	skynet.wakeup(co)
end

local function fail_pending(self, conn, errmsg)
	if self.__response then
		local pending = conn.sessions
		conn.sessions = {}
		for _, co in pairs(pending) do
			finish(self, co, socket_error, errmsg)
		end
	else
		local queue = conn.queue
		for i = conn.head, conn.tail do
			local req = queue[i]
			queue[i] = nil
			finish(self, req.co, socket_error, errmsg)
		end
		conn.head, conn.tail = 1, 0
	end
end

-- End a connection: forget it, fail its waiting requests, close the socket.
local function drop(self, conn, errmsg)
	if not conn.alive then
		return
	end
	conn.alive = false
	conn.reason = errmsg	-- for the request the dispatcher is reading
	if self.__conn == conn then
		self.__conn = false
		self.__sock = false
	end
	fail_pending(self, conn, errmsg)
	local idle = conn.idle
	if idle then
		conn.idle = nil
		skynet.wakeup(idle)
	end
	pcall(socket.close, conn.fd)
end

local function dispatch_by_session(self, conn)
	local response = self.__response
	local sock = conn.sock
	while conn.alive do
		local ok, session, result_ok, result_data, padding = pcall(response, sock)
		if not conn.alive then
			-- dropped meanwhile: its requests have already failed
			break
		end
		if ok and session then
			local co = conn.sessions[session]
			if co == nil then
				skynet.error("socket: unknown session :", session)
			elseif padding and result_ok then
				local parts = self.__result_data[co] or {}
				self.__result_data[co] = parts
				parts[#parts + 1] = result_data
			else
				conn.sessions[session] = nil
				local parts = self.__result_data[co]
				if result_ok and parts then
					parts[#parts + 1] = result_data
					result_data = parts
				end
				finish(self, co, result_ok, result_data)
			end
		else
			local errmsg
			if not ok and session ~= socket_error then
				errmsg = session
			end
			drop(self, conn, errmsg)
		end
	end
end

-- Read one response; a padded response is read until its last part.
local function get_response(func, sock)
	local ok, data, padding = func(sock)
	if not (ok and padding) then
		return ok, data
	end
	local parts = { data }
	repeat
		ok, data, padding = func(sock)
		if not ok then
			return ok, data
		end
		parts[#parts + 1] = data
	until not padding
	return true, parts
end

local function dispatch_by_order(self, conn)
	local sock = conn.sock
	local queue = conn.queue
	while conn.alive do
		local i = conn.head
		local req = queue[i]
		if req == nil then
			conn.idle = coroutine.running()
			skynet.wait(conn.idle)
			conn.idle = nil
		else
			queue[i] = nil
			conn.head = i + 1
			local ok, result_ok, result_data = pcall(get_response, req.func, sock)
			if ok then
				finish(self, req.co, result_ok, result_data)
			else
				local errmsg = conn.reason
				if result_ok ~= socket_error then
					errmsg = result_ok
				end
				finish(self, req.co, socket_error, errmsg)
				drop(self, conn, errmsg)
			end
		end
	end
end

-- Order mode: the dispatcher sleeps while no request is outstanding, so it
-- would not see the peer go away; the CLOSE event does it instead. While a
-- request is in flight the failing read reports the close.
local function peer_closed(self, conn)
	if conn.alive and conn.idle then
		skynet.error("socket closed by peer : ", self.__host, self.__port)
		drop(self, conn)
	end
end

local function run_dispatch(self, conn)
	local dispatch = self.__response and dispatch_by_session or dispatch_by_order
	local ok, err = pcall(dispatch, self, conn)
	if not ok then
		skynet.error("socket: dispatch error", tostring(err))
	end
	-- whatever ended the loop, nobody may keep waiting on this connection
	drop(self, conn, not ok and err or nil)
end

local function watch_overload(self, fd)
	local notify = self.__overload_notify
	if not notify then
		return
	end
	local function trigger(id, size)
		local sock = self.__sock
		if not sock or sock[1] ~= id then
			return
		end
		if size == 0 then
			if self.__overload then
				self.__overload = false
				notify(false)
			end
		elseif not self.__overload then
			self.__overload = true
			notify(true)
		else
			skynet.error(string.format("WARNING: %d K bytes need to send out (fd = %d)", size, id), self.__host, self.__port)
		end
	end
	-- a fresh connection starts with nothing to send
	skynet.fork(trigger, fd, 0)
	socket.warning(fd, trigger)
end

local function start_connection(self, fd)
	local old = self.__conn
	if old then
		drop(self, old)
	end
	if self.__nodelay then
		socketdriver.nodelay(fd)
	end
	local conn = {
		fd = fd,
		sock = setmetatable({ fd }, self.__socket_meta),
		alive = true,
		sessions = {},	-- session mode: session -> coroutine
		queue = {},	-- order mode: { func, co } from head to tail
		head = 1,
		tail = 0,
		idle = nil,	-- order mode: the dispatcher, while it has nothing to read
	}
	self.__conn = conn
	self.__sock = conn.sock
	watch_overload(self, fd)
	if not self.__response then
		socket.onclose(fd, function()
			peer_closed(self, conn)
		end)
	end
	skynet.fork(run_dispatch, self, conn)
	return conn
end

local function open_socket(host, port)
	local ok, fd, err = pcall(socket.open, host, port)
	if not ok then
		return nil, fd
	end
	return fd, err
end

-- One pass over the host and its backups; true once connected (and
-- authenticated), else false plus the last error.
local function connect_once(self)
	if self.__closed then
		return false
	end
	local candidates = {}
	local seen = { [tostring(self.__host) .. ":" .. tostring(self.__port)] = true }

	local function add_backup()
		for _, addr in ipairs(self.__backup or {}) do
			local host, port
			if type(addr) == "table" then
				host, port = addr.host, addr.port
			else
				host, port = addr, self.__port
			end
			local key = tostring(host) .. ":" .. tostring(port)
			if not seen[key] then
				seen[key] = true
				candidates[#candidates + 1] = { host = host, port = port }
			end
		end
	end

	local function next_addr()
		local addr = table.remove(candidates, 1)
		if addr then
			skynet.error("socket: connect to backup host", addr.host, addr.port)
		end
		return addr
	end

	add_backup()
	local addr = { host = self.__host, port = self.__port }
	while true do
		local fd, err = open_socket(addr.host, addr.port)
		if fd and self.__handshake then
			-- before the dispatcher reads: the handshake owns the fd until done
			local ok, herr = pcall(self.__handshake, fd)
			if not ok then
				socket.close(fd)
				fd, err = nil, herr
			end
		end
		if fd then
			self.__host, self.__port = addr.host, addr.port
			start_connection(self, fd)
			if not self.__auth then
				return true
			end
			self.__authcoroutine = coroutine.running()
			local ok, message = pcall(self.__auth, self)
			self.__authcoroutine = false
			if ok then
				if not self.__conn then
					-- the auth function changed host: start over
					return connect_once(self)
				end
				return true
			end
			if self.__conn then
				drop(self, self.__conn)
			end
			if message ~= socket_error then
				skynet.error("socket: auth failed", message)
			end
			add_backup()	-- auth may have added backup hosts
			addr = next_addr()
			if addr == nil then
				return false, "no more backup host"
			end
		else
			addr = next_addr()
			if addr == nil then
				return false, err
			end
		end
	end
end

local function try_connect(self, once)
	local t = 0
	while not self.__closed do
		local ok, err = connect_once(self)
		if ok then
			if not once then
				skynet.error("socket: connect to", self.__host, self.__port)
			end
			return
		elseif once then
			return err
		end
		skynet.error("socket: connect", err)
		if t > 1000 then
			skynet.error("socket: try to reconnect", self.__host, self.__port)
			skynet.sleep(t)
			t = 0
		else
			skynet.sleep(t)
		end
		t = t + 100
	end
end

-- true: usable now; false: closed (or lost during auth); nil: connect first.
local function check_connection(self)
	local conn = self.__conn
	if conn then
		local authco = self.__authcoroutine
		local fd = conn.fd
		if socket.invalid(fd) or socket.disconnected(fd) then
			skynet.error("socket: disconnect detected ", self.__host, self.__port)
			drop(self, conn)
			if authco and authco == coroutine.running() then
				return false
			end
			return
		end
		if not authco or authco == coroutine.running() then
			return true
		end
	end
	if self.__closed then
		return false
	end
end

local function block_connect(self, once)
	local r = check_connection(self)
	if r ~= nil then
		return r
	end
	local err
	local connecting = self.__connecting
	if #connecting > 0 then
		local co = coroutine.running()
		connecting[#connecting + 1] = co
		skynet.wait(co)
	else
		connecting[1] = true
		local ok, e = pcall(try_connect, self, once)
		err = e
		if not ok then
			skynet.error("socket: connect error", tostring(e))
		end
		for i = 2, #connecting do
			local co = connecting[i]
			connecting[i] = nil
			skynet.wakeup(co)
		end
		connecting[1] = nil
	end
	r = check_connection(self)
	if r == nil then
		skynet.error("Connect failed", err, self.__host, self.__port)
		error(socket_error)
	end
	return r
end

function channel:connect(once)
	self.__closed = false
	return block_connect(self, once)
end

-- A server that stops answering holds every request behind the late one (and
-- in order mode no single answer can be skipped), so a request that is still
-- waiting when desc.timeout expires ends the connection: all its waiting
-- requests fail now and the next request reconnects.
local function arm_timeout(self, conn, co)
	local request = { co = co }
	skynet.timeout(self.__timeout, function()
		if request.co and conn.alive then
			skynet.error("socket: request timeout", self.__host, self.__port)
			drop(self, conn, "socketchannel: request timeout")
		end
	end)
	return request
end

local function wait_for_response(self, conn, response, timed)
	if not conn or not conn.alive then
		error(socket_error)
	end
	local co = coroutine.running()
	local pending = timed and self.__timeout and arm_timeout(self, conn, co)
	if self.__response then
		assert(conn.sessions[response] == nil, "socketchannel: session is already waiting")
		conn.sessions[response] = co
	else
		local tail = conn.tail + 1
		conn.tail = tail
		conn.queue[tail] = { func = response, co = co }
		local idle = conn.idle
		if idle then
			conn.idle = nil
			skynet.wakeup(idle)
		end
	end
	skynet.wait(co)
	if pending then
		pending.co = nil
	end

	local result = self.__result[co]
	local data = self.__result_data[co]
	self.__result[co] = nil
	self.__result_data[co] = nil
	if result == socket_error then
		error(data or socket_error)
	end
	if not result then
		error(data, 0)	-- the peer's own message, as upstream raises it (LuaJIT's assert would prefix a position)
	end
	return data
end

local function write_failed(self, conn)
	drop(self, conn)
	error(socket_error)
end

-- Send request (a string, or msg with padding = extra parts sent on the
-- low-priority queue) and, unless response is nil, wait for the answer:
-- order mode passes a reader function, session mode the session number.
function channel:request(request, response, padding)
	assert(block_connect(self, true))
	local conn = self.__conn
	if not conn then
		error(socket_error)
	end
	local fd = conn.fd
	if padding then
		if not socket.lwrite(fd, request) then
			write_failed(self, conn)
		end
		for _, part in ipairs(padding) do
			if not socket.lwrite(fd, part) then
				write_failed(self, conn)
			end
		end
	elseif not socket.write(fd, request) then
		write_failed(self, conn)
	end
	if response == nil then
		return
	end
	return wait_for_response(self, conn, response, true)
end

-- As request, for a request already in a skynet_malloc'd buffer msg, sz,
-- which the socket takes over (low: on the low-priority queue). It is freed
-- on every path.
function channel:request_msg(msg, sz, response, low)
	local ok, connected = pcall(block_connect, self, true)
	local conn = self.__conn
	if not (ok and connected and conn) then
		skynet.trash(msg, sz)
		if not ok then
			error(connected, 0)
		end
		assert(connected)
		error(socket_error)
	end
	local write = low and socket.lwrite or socket.write
	if not write(conn.fd, msg, sz) then
		write_failed(self, conn)
	end
	if response == nil then
		return
	end
	return wait_for_response(self, conn, response, true)
end

-- Wait for a message the peer sends on its own (e.g. a subscription).
function channel:response(response)
	assert(block_connect(self))
	return wait_for_response(self, self.__conn, response)
end

function channel:close()
	if not self.__closed then
		self.__closed = true
		local conn = self.__conn
		if conn then
			drop(self, conn)
		end
	end
end

function channel:changehost(host, port)
	self.__host = host
	if port then
		self.__port = port
	end
	if not self.__closed and self.__conn then
		drop(self, self.__conn)
	end
end

function channel:changebackup(backup)
	self.__backup = backup
end

-- A channel that becomes garbage must not leave its socket open. This runs
-- in a finalizer, so it may not block: shut the socket down directly.
channel_meta.__gc = function(self)
	self.__closed = true
	local conn = self.__conn
	if conn then
		conn.alive = false
		self.__conn = false
		self.__sock = false
		socket.shutdown(conn.fd)
	end
end

return socket_channel
