-- snax.msgserver: the gate half of skynet's login/gate pair, on
-- snax.gateserver. Users are admitted by the login server (server.login with
-- the secret it agreed with the client); a client then connects here, proves
-- it holds the secret, and exchanges requests and responses. A client that
-- reconnects may repeat a request's session to get the cached response.
--
-- Packets are gateserver frames (2-byte big-endian size). All numbers below
-- are big-endian.
--   handshake, C->S  username:index:base64(hmac64(hashkey(username:index), secret))
--                    username = base64(uid)@base64(server)#base64(subid);
--                    index must grow with every connection
--   handshake, S->C  "200 OK", or "404 User Not Found", "403 Index Expired",
--                    "401 Unauthorized", "400 Bad Request" (then closed)
--   request,  C->S   content .. dword session
--   response, S->C   content .. byte ok .. dword session
--
-- server.start(conf) handlers: login_handler(uid, secret) -> subid,
-- logout_handler(uid, subid), kick_handler(uid, subid) (the "lua" commands
-- login/logout/kick), request_handler(username, msg) -> response,
-- register_handler(servername) (on open), disconnect_handler(username);
-- conf.expired_number (128): how many answered responses stay cached.
local skynet = require "skynet"
local gateserver = require "snax.gateserver"
local netpack = require "skynet.netpack"
local crypt = require "skynet.crypt"
local socketdriver = require "skynet.socketdriver"

local b64encode = crypt.base64encode
local b64decode = crypt.base64decode

local server = {}

skynet.register_protocol {
	name = "client",
	id = skynet.PTYPE_CLIENT,
}

local user_online = {}	-- username -> user
local handshake = {}	-- fd -> address, until its first packet
local connection = {}	-- fd -> user

function server.userid(username)
	local uid, servername, subid = username:match "([^@]*)@([^#]*)#(.*)"
	return b64decode(uid), b64decode(subid), b64decode(servername)
end

function server.username(uid, subid, servername)
	return string.format("%s@%s#%s", b64encode(uid), b64encode(servername), b64encode(tostring(subid)))
end

function server.logout(username)
	local u = user_online[username]
	user_online[username] = nil
	if u and u.fd and connection[u.fd] then
		gateserver.closeclient(u.fd)
		connection[u.fd] = nil
	end
end

function server.login(username, secret)
	assert(user_online[username] == nil)
	user_online[username] = {
		secret = secret,
		version = 0,	-- the index of the current connection
		index = 0,	-- responses sent, for retiring the cache
		username = username,
		response = {},	-- session -> { fd, packet, version, index }
	}
end

function server.ip(username)
	local u = user_online[username]
	if u and u.fd then
		return u.ip
	end
end

local function dword(n)
	return string.char(math.floor(n / 16777216) % 256, math.floor(n / 65536) % 256,
		math.floor(n / 256) % 256, n % 256)
end

local function frame(text)
	local n = #text
	assert(n < 65536, "response too large")
	return string.char(math.floor(n / 256), n % 256) .. text
end

function server.start(conf)
	local expired_number = conf.expired_number or 128
	local request_handler = assert(conf.request_handler)
	local CMD = {
		login = assert(conf.login_handler),
		logout = assert(conf.logout_handler),
		kick = assert(conf.kick_handler),
	}
	local handler = {}

	function handler.command(cmd, _, ...)
		local f = assert(CMD[cmd])
		return f(...)
	end

	function handler.open(_, gateconf)
		return conf.register_handler(assert(gateconf.servername))
	end

	function handler.connect(fd, addr)
		handshake[fd] = addr
		gateserver.openclient(fd)
	end

	function handler.disconnect(fd)
		handshake[fd] = nil
		local u = connection[fd]
		if u then
			if conf.disconnect_handler then
				conf.disconnect_handler(u.username)
			end
			if connection[fd] then	-- the handler may have closed it
				u.fd = nil
				connection[fd] = nil
				gateserver.closeclient(fd)
			end
		end
	end

	handler.error = handler.disconnect

	-- The handshake's verdict: nil when admitted, else the error line. Does
	-- not yield, so no other packet of the user runs meanwhile.
	local function check_handshake(fd, message, addr)
		local username, index, hmac = message:match "([^:]*):([^:]*):([^:]*)"
		local u = user_online[username]
		if u == nil then
			return "404 User Not Found"
		end
		local idx = assert(tonumber(index))
		if idx <= u.version then
			return "403 Index Expired"
		end
		if crypt.hmac_hash(u.secret, username .. ":" .. index) ~= b64decode(hmac) then
			return "401 Unauthorized"
		end
		u.version = idx
		u.fd = fd
		u.ip = addr
		connection[fd] = u
	end

	local function auth(fd, addr, msg, sz)
		local ok, result = pcall(check_handshake, fd, netpack.tostring(msg, sz), addr)
		if not ok then
			skynet.error(result)
			result = "400 Bad Request"
		end
		socketdriver.send(fd, netpack.pack(result or "200 OK"))
		if result then
			gateserver.closeclient(fd)
		end
	end

	-- Drops answered responses older than expired_number once the cache has
	-- seen twice that many, and renumbers the rest.
	local function retire_responses(u)
		if u.index < expired_number * 2 then
			return
		end
		local newest = 0
		for session, p in pairs(u.response) do
			if p[1] == nil then	-- answered
				if p[4] < expired_number then
					u.response[session] = nil
				else
					p[4] = p[4] - expired_number
					newest = math.max(newest, p[4])
				end
			end
		end
		u.index = newest + 1
	end

	local function do_request(fd, message)
		local u = assert(connection[fd], "invalid fd")
		local n = #message
		assert(n >= 4, "packet too short")
		local b1, b2, b3, b4 = message:byte(n - 3, n)
		local session = ((b1 * 256 + b2) * 256 + b3) * 256 + b4
		message = message:sub(1, n - 4)
		local p = u.response[session]
		if p and p[3] == u.version then
			-- the session is reused on the same connection: a new request
			u.response[session] = nil
			if p[2] == nil then
				local err = string.format("Conflict session %d", session)
				skynet.error(err)
				error(err)
			end
			p = nil
		end
		if p == nil then
			p = { fd }
			u.response[session] = p
			local ok, result = pcall(request_handler, u.username, message)
			-- the handler may yield: the connection may be gone by now
			if ok then
				result = (result or "") .. "\1" .. dword(session)
			else
				skynet.error(result)
				result = "\0" .. dword(session)
			end
			p[2] = frame(result)
			p[3] = u.version
			p[4] = u.index
		else
			-- a repeated session after reconnecting: answer on this fd
			p[1] = fd
			p[3] = u.version
			p[4] = u.index
			if p[2] == nil then
				return	-- still being handled; it will be sent to the new fd
			end
		end
		u.index = u.index + 1
		fd = p[1]
		if connection[fd] then
			socketdriver.send(fd, p[2])
		end
		p[1] = nil
		retire_responses(u)
	end

	local function request(fd, msg, sz)
		local message = netpack.tostring(msg, sz)
		local ok, err = pcall(do_request, fd, message)
		if not ok then
			skynet.error(string.format("Invalid package %s : %s", tostring(err), message))
			if connection[fd] then
				gateserver.closeclient(fd)
			end
		end
	end

	function handler.message(fd, msg, sz)
		local addr = handshake[fd]
		if addr then
			handshake[fd] = nil
			auth(fd, addr, msg, sz)
		else
			request(fd, msg, sz)
		end
	end

	return gateserver.start(handler)
end

return server
