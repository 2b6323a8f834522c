-- RFC 6455 websockets over skynet sockets (ws) or TLS (wss): the server
-- side runs a connection with handler callbacks, the client side is read
-- and written by id. Frame bytes are built and parsed by http.websocket.core.
local skynet = require "skynet"
local socket = require "skynet.socket"
local internal = require "http.internal"
local httpd = require "http.httpd"
local sockethelper = require "http.sockethelper"
local core = require "http.websocket.core"

local socket_error = sockethelper.socket_error

local assert = assert
local error = error
local pairs = pairs
local pcall = pcall
local xpcall = xpcall
local type = type
local string = string
local table = table
local tostring = tostring
local tonumber = tonumber

local M = {}

-- Limits for what a peer may send, overridable per connection through the
-- options of accept/connect (max_frame, max_message). A server takes
-- upstream's 256 KiB; a client trusts the server it chose a bit more.
M.MAX_FRAME = 256 * 1024
M.MAX_MESSAGE = 256 * 1024
M.CLIENT_MAX_MESSAGE = 16 * 1024 * 1024

local OP = { continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA }
local OP_NAME = { [0x0] = "frame", [0x1] = "text", [0x2] = "binary", [0x8] = "close", [0x9] = "ping",
	[0xA] = "pong" }

local CLOSE_PROTOCOL_ERROR = 1002
local CLOSE_TOO_BIG = 1009

local connections = {} -- id -> connection

-- A protocol violation: the connection is closed with `code`.
local function violation(code, message)
	error({ ws_close = code, message = message }, 0)
end

local function forget(conn)
	assert(connections[conn.id] == conn)
	connections[conn.id] = nil
	conn.close()
end

local function is_closed(id)
	return connections[id] == nil
end

-- Puts bytes read past the HTTP head in front of the connection's reader.
local function unread(conn, data)
	if data == nil or data == "" then
		return
	end
	local read = conn.read
	conn.read = function(sz)
		if sz == nil or sz == #data then
			conn.read = read
			return data
		elseif sz < #data then
			local head = data:sub(1, sz)
			data = data:sub(sz + 1)
			return head
		end
		conn.read = read
		return data .. read(sz - #data)
	end
end

local function random_mask()
	return math.random(0, 0xFFFFFFFF)
end

local function write_frame(conn, op, payload, mask)
	if conn.mode == "client" and mask == nil then
		mask = random_mask() -- RFC 6455: every client frame is masked
	end
	conn.write(core.frame(OP[op], payload or "", mask))
end

-- The next frame: fin, opcode name, payload (unmasked).
local function read_frame(conn)
	local head = conn.read(2)
	local size = core.header_size(head)
	if size > 2 then
		head = head .. conn.read(size - 2)
	end
	local fin, op, len, mask = core.parse(head)
	if fin == nil then
		violation(CLOSE_PROTOCOL_ERROR, op)
	end
	if len > conn.max_frame then
		violation(CLOSE_TOO_BIG, "payload_len is too large")
	end
	local payload = len > 0 and conn.read(len) or ""
	if mask then
		payload = core.unmask(payload, mask)
	end
	return fin, OP_NAME[op], payload
end

-- Gathers a fragmented message. Returns the message and its type once the
-- final fragment came, nothing before.
local function assembler(conn)
	local parts, size, kind = nil, 0, nil
	return function(fin, op, payload)
		if op == "frame" then
			if not parts then
				violation(CLOSE_PROTOCOL_ERROR, "continuation frame without a message")
			end
		elseif parts then
			violation(CLOSE_PROTOCOL_ERROR, "new message inside a fragmented one")
		elseif fin then
			return payload, op
		else
			parts, size, kind = {}, 0, op
		end
		size = size + #payload
		if size > conn.max_message then
			violation(CLOSE_TOO_BIG, "message is too large")
		end
		parts[#parts + 1] = payload
		if fin then
			local msg, t = table.concat(parts), kind
			parts, size, kind = nil, 0, nil
			return msg, t
		end
	end
end

local function close_payload(code, reason)
	if not code then
		return ""
	end
	return string.pack(">I2", code) .. (reason or "")
end

local function parse_close(payload)
	if #payload < 2 then
		return
	end
	return string.unpack(">I2", payload), payload:sub(3)
end

---------------------------------------------------------------- server

local function call_handler(conn, event, ...)
	local f = conn.handle and conn.handle[event]
	if f then
		f(conn.id, ...)
	end
end

-- Reads the upgrade request and answers 101. Returns nil, header, url; or
-- an HTTP error code and its reason when the upgrade is refused.
local function server_handshake(conn, upgrade)
	local header, url
	if upgrade then
		header, url = upgrade.header, upgrade.url
		if upgrade.method ~= "GET" then
			return 400, "need GET method"
		end
	else
		local lines = {}
		local rest = internal.recvheader(conn.read, lines, "")
		if not rest then
			return 413
		end
		unread(conn, rest)
		local method, target, version = (lines[1] or ""):match "^(%a+)%s+(%S+)%s+HTTP/(%d+%.%d+)$"
		if not method then
			return 400, "invalid request line"
		end
		if method ~= "GET" then
			return 400, "need GET method"
		end
		if tonumber(version) < 1.1 then
			return 505
		end
		header, url = internal.parseheader(lines, 2, {}), target
	end
	if not header then
		return 400
	end
	local upgrade_field = internal.field(header, "upgrade")
	if not upgrade_field or upgrade_field:lower() ~= "websocket" then
		return 426, "Upgrade Required"
	end
	if not header.host then
		return 400, "host Required"
	end
	local connection = internal.field(header, "connection")
	if not connection or not connection:lower():find("upgrade", 1, true) then
		return 400, "Connection must Upgrade"
	end
	local key = internal.field(header, "sec-websocket-key")
	if not key then
		return 400, "Sec-WebSocket-Key Required"
	end
	if not core.key_valid(key) then
		return 400, "Sec-WebSocket-Key invalid"
	end
	if internal.field(header, "sec-websocket-version") ~= "13" then
		return 400, "Sec-WebSocket-Version must 13"
	end
	local subprotocol = ""
	local offered = internal.field(header, "sec-websocket-protocol")
	if offered then
		for p in offered:gmatch "[^%s,]+" do
			if p == "chat" then
				subprotocol = "Sec-WebSocket-Protocol: chat\r\n"
			end
		end
		if subprotocol == "" then
			return 400, "Sec-WebSocket-Protocol need include chat"
		end
	end
	conn.real_ip = internal.field(header, "x-real-ip") -- set by a proxy such as nginx
	conn.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" ..
		"Sec-WebSocket-Accept: " .. core.accept_key(key) .. "\r\n" .. subprotocol .. "\r\n")
	return nil, header, url
end

local function serve(conn, options)
	call_handler(conn, "connect")
	local code, header, url = server_handshake(conn, options and options.upgrade)
	if code then
		local ok, err = httpd.write_response(conn.write, code, header)
		if not ok then
			error(err)
		end
		call_handler(conn, "close")
		return
	end
	call_handler(conn, "handshake", header, url)
	local assemble = assembler(conn)
	while true do
		if is_closed(conn.id) then
			call_handler(conn, "close")
			return
		end
		local fin, op, payload = read_frame(conn)
		if op == "close" then
			local code, reason = parse_close(payload)
			write_frame(conn, "close", close_payload(code, ""))
			call_handler(conn, "close", code, reason)
			return
		elseif op == "ping" then
			write_frame(conn, "pong", payload)
			call_handler(conn, "ping", payload)
		elseif op == "pong" then
			call_handler(conn, "pong", payload)
		else
			local msg, kind = assemble(fin, op, payload)
			if msg then
				call_handler(conn, "message", msg, kind)
			end
		end
	end
end

local server_ctx -- TLS server context, from config certfile / keyfile

local function tls_server_ctx(tls)
	if not server_ctx then
		local ctx = tls.newctx()
		ctx:set_cert(skynet.getenv "certfile" or "./server-cert.pem", skynet.getenv "keyfile" or "./server-key.pem")
		server_ctx = ctx
	end
	return server_ctx
end

local client_ctx

local function new_connection(id, mode, protocol, servername)
	local conn = { id = id, mode = mode }
	if protocol == "ws" then
		conn.read = sockethelper.readfunc(id)
		conn.write = sockethelper.writefunc(id)
		conn.close = function()
			socket.close(id)
		end
	elseif protocol == "wss" then
		local tls = require "http.tlshelper"
		local tls_conn
		if mode == "server" then
			tls_conn = tls.newtls("server", tls_server_ctx(tls))
			tls.init_responsefunc(id, tls_conn)()
		else
			client_ctx = client_ctx or tls.newctx()
			tls_conn = tls.newtls("client", client_ctx, servername)
			tls.init_requestfunc(id, tls_conn)()
		end
		conn.read = tls.readfunc(id, tls_conn)
		conn.write = tls.writefunc(id, tls_conn)
		conn.close = function()
			socket.close(id)
			tls_conn:close()
		end
	else
		error(string.format("invalid websocket protocol:%s", tostring(protocol)))
	end
	connections[id] = conn
	return conn
end

local function apply_limits(conn, options, default_frame, default_message)
	conn.max_frame = options and options.max_frame or default_frame
	conn.max_message = options and options.max_message or default_message
	if conn.max_frame > conn.max_message then
		conn.max_frame = conn.max_message
	end
end

-- accept(id, handle, "ws"|"wss", addr [, options]) -> true | false, err.
-- Runs the connection until it closes, calling handle.connect(id),
-- handshake(id, header, url), message(id, data, "text"|"binary"),
-- ping(id, data), pong(id, data), close(id, code, reason), error(id, err),
-- warning(id, kb). options: upgrade = { method=, url=, header= } when httpd
-- already read the request; max_frame, max_message (bytes).
function M.accept(id, handle, protocol, addr, options)
	if not (options and options.upgrade) then
		local ok, err = socket.start(id)
		if not ok then
			return false, err
		end
	end
	local created, conn = pcall(new_connection, id, "server", protocol or "ws")
	if not created then
		if connections[id] == nil then
			socket.close(id)
		end
		return false, conn
	end
	conn.handle = handle
	conn.addr = addr
	apply_limits(conn, options, M.MAX_FRAME, M.MAX_MESSAGE)
	if handle and handle.warning then
		socket.warning(id, function(_, kb)
			handle.warning(id, kb)
		end)
	end
	local ok, err = xpcall(serve, function(e)
		if type(e) == "table" or e == socket_error then
			return e
		end
		return debug.traceback(e)
	end, conn, options)
	local closed = is_closed(id)
	if ok then
		if not closed then
			forget(conn)
		end
		return true
	end
	if type(err) == "table" and err.ws_close then
		if not closed then
			pcall(write_frame, conn, "close", close_payload(err.ws_close, err.message))
			forget(conn)
		end
		skynet.error(string.format("websocket %d (%s): %s, closed with %d", id, tostring(addr), err.message,
			err.ws_close))
		call_handler(conn, "error", err.message)
		return false, err.message
	end
	if not closed then
		forget(conn)
	end
	if err == socket_error then
		if closed then
			call_handler(conn, "close")
		else
			call_handler(conn, "error", err)
		end
		return true
	end
	return false, err
end

---------------------------------------------------------------- client

local function client_handshake(conn, host, uri, header)
	local key = core.new_key()
	local request = {
		Upgrade = "websocket",
		Connection = "Upgrade",
		["Sec-WebSocket-Version"] = "13",
		["Sec-WebSocket-Key"] = key,
	}
	if header then
		for k, v in pairs(header) do
			assert(request[k] == nil, k)
			request[k] = v
		end
	end
	local fields = {}
	local code, rest = internal.request(conn, "GET", host, uri, fields, request)
	if code ~= 101 then
		error(string.format("websocket handshake error: code[%s] info:%s", code, rest))
	end
	unread(conn, rest)
	local upgrade = internal.field(fields, "upgrade")
	if not upgrade or upgrade:lower() ~= "websocket" then
		error "websocket handshake upgrade must websocket"
	end
	local connection = internal.field(fields, "connection")
	if not connection or connection:lower() ~= "upgrade" then
		error "websocket handshake connection must upgrade"
	end
	local accept = internal.field(fields, "sec-websocket-accept")
	if not accept then
		error "websocket handshake need Sec-WebSocket-Accept"
	end
	if accept ~= core.accept_key(key) then
		error "websocket handshake invalid Sec-WebSocket-Accept"
	end
end

-- "ws://host:port/path" -> protocol, address, port, Host header, path
local function split_url(url)
	local protocol, host, uri = url:match "^(wss?)://([^/]+)(.*)$"
	if not protocol then
		error(string.format("invalid protocol: %s", tostring(url:match "^(%a+)://")))
	end
	local address, port = host:match "^%[([^%]]+)%]:?(%d*)$"
	if not address then
		address, port = host:match "^([^:]+):?(%d*)$"
	end
	assert(address, "invalid websocket host")
	if port == "" then
		port = protocol == "ws" and 80 or 443
	end
	return protocol, address, tonumber(port), host, uri == "" and "/" or uri
end

-- connect(url [, header [, timeout [, options]]]) -> id
function M.connect(url, header, timeout, options)
	local protocol, address, port, host, uri = split_url(url)
	local servername
	if not address:find "^[%d%.]+$" and not address:find ":" then
		servername = address
	end
	local id = sockethelper.connect(address, port, timeout)
	local ok, conn = pcall(new_connection, id, "client", protocol, servername)
	if not ok then
		if connections[id] then
			forget(connections[id])
		else
			socket.close(id)
		end
		error(conn)
	end
	conn.addr = host
	apply_limits(conn, options, M.CLIENT_MAX_MESSAGE, M.CLIENT_MAX_MESSAGE)
	local done, err = pcall(client_handshake, conn, host, uri, header)
	if not done then
		forget(conn)
		error(err)
	end
	return id
end

local function checked(id)
	return assert(connections[id], "websocket: invalid or closed id")
end

-- read(id) -> message, "text"|"binary"; or false, reason, code once the
-- peer closed (its close is answered).
function M.read(id)
	local conn = checked(id)
	local assemble = conn.assemble or assembler(conn)
	conn.assemble = assemble
	while true do
		local ok, fin, op, payload = pcall(read_frame, conn)
		if not ok then
			if not is_closed(id) then
				if type(fin) == "table" then
					pcall(write_frame, conn, "close", close_payload(fin.ws_close, fin.message))
				end
				forget(conn)
			end
			if type(fin) == "table" then
				error(fin.message)
			end
			error(fin)
		end
		if op == "close" then
			local code, reason = parse_close(payload)
			pcall(write_frame, conn, "close", close_payload(code, ""))
			forget(conn)
			return false, reason or "", code
		elseif op == "ping" then
			write_frame(conn, "pong", payload)
		elseif op ~= "pong" then
			local msg, kind = assemble(fin, op, payload)
			if msg then
				return msg, kind
			end
		end
	end
end

-- write(id, data [, "text"|"binary" [, mask]]); client frames are always
-- masked (a random key when none is given).
function M.write(id, data, fmt, masking_key)
	local conn = checked(id)
	fmt = fmt or "text"
	assert(fmt == "text" or fmt == "binary", "websocket.write: format must be text or binary")
	write_frame(conn, fmt, data, masking_key)
end

function M.ping(id, data)
	write_frame(checked(id), "ping", data)
end

function M.addrinfo(id)
	return checked(id).addr
end

function M.real_ip(id)
	return checked(id).real_ip
end

-- close(id [, code [, reason]]): sends a close frame and closes at once.
function M.close(id, code, reason)
	local conn = connections[id]
	if not conn then
		return
	end
	local ok, err = pcall(write_frame, conn, "close", close_payload(code, reason))
	forget(conn)
	if not ok and err ~= socket_error then
		skynet.error(tostring(err))
	end
end

M.is_close = is_closed

return M
