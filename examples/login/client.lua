-- The example's client, as a service of its own node (config.client):
-- logs in through logind, then talks to gated twice (the second connection
-- re-asks session 0 and gets its cached answer). Prints what it sees, then
-- stops its node. Config keys: login_host, login_port, gate_port,
-- login_user, login_password, login_server.
local skynet = require "skynet"
require "skynet.manager"
local socket = require "skynet.socket"
local crypt = require "skynet.crypt"

local host = skynet.getenv "login_host" or "127.0.0.1"
local login_port = tonumber(skynet.getenv "login_port") or 8001
local gate_port = tonumber(skynet.getenv "gate_port") or 8888

local token = {
	server = skynet.getenv "login_server" or "sample",
	user = skynet.getenv "login_user" or "hello",
	pass = skynet.getenv "login_password" or "password",
}

local function say(...)
	print(...)
	io.stdout:flush()
end

local function readline(fd)
	local line = socket.readline(fd)
	if not line then
		error "Server closed"
	end
	return line
end

local function writeline(fd, text)
	socket.write(fd, text .. "\n")
end

local function encode_token(t)
	return string.format("%s@%s:%s", crypt.base64encode(t.user), crypt.base64encode(t.server),
		crypt.base64encode(t.pass))
end

-- The login handshake; returns the result line, the secret.
local function login()
	local fd = assert(socket.open(host, login_port))
	local challenge = crypt.base64decode(readline(fd))
	local clientkey = crypt.randomkey()
	writeline(fd, crypt.base64encode(crypt.dhexchange(clientkey)))
	local secret = crypt.dhsecret(crypt.base64decode(readline(fd)), clientkey)
	say("secret is", crypt.hexencode(secret))
	writeline(fd, crypt.base64encode(crypt.hmac64(challenge, secret)))
	writeline(fd, crypt.base64encode(crypt.desencode(secret, encode_token(token))))
	local result = readline(fd)
	socket.close(fd)
	return result, secret
end

-- gate packets: 2-byte big-endian size, then the bytes
local function send_package(fd, text)
	socket.write(fd, string.char(math.floor(#text / 256), #text % 256) .. text)
end

local function read_package(fd)
	local head = socket.read(fd, 2)
	local data = head and socket.read(fd, head:byte(1) * 256 + head:byte(2))
	if not data then
		error "Server closed"
	end
	return data
end

local function dword(n)
	return string.char(math.floor(n / 16777216) % 256, math.floor(n / 65536) % 256,
		math.floor(n / 256) % 256, n % 256)
end

local function send_request(fd, text, session)
	send_package(fd, text .. dword(session))
	say("===>", text, session)
end

local function recv_response(fd)
	local v = read_package(fd)
	local n = #v
	local b1, b2, b3, b4 = v:byte(n - 3, n)
	local session = ((b1 * 256 + b2) * 256 + b3) * 256 + b4
	local ok = v:byte(n - 4) ~= 0
	say("<===", v:sub(1, n - 5), ok, session)
end

local function connect_gate(subid, secret, index)
	local fd = assert(socket.open(host, gate_port))
	local handshake = string.format("%s@%s#%s:%d", crypt.base64encode(token.user),
		crypt.base64encode(token.server), crypt.base64encode(subid), index)
	local hmac = crypt.hmac64(crypt.hashkey(handshake), secret)
	send_package(fd, handshake .. ":" .. crypt.base64encode(hmac))
	say("handshake", read_package(fd))
	return fd
end

skynet.start(function()
	local ok, err = pcall(function()
		local result, secret = login()
		say("login", result)
		if result:sub(1, 3) ~= "200" then
			return
		end
		local subid = crypt.base64decode(result:sub(5))
		say("login ok, subid=", subid)

		local fd = connect_gate(subid, secret, 1)
		send_request(fd, "echo", 0)	-- leave without reading the answer
		socket.close(fd)
		say("disconnect")

		fd = connect_gate(subid, secret, 2)
		send_request(fd, "fake", 0)	-- session 0 again: the cached answer
		send_request(fd, "again", 1)
		recv_response(fd)
		recv_response(fd)
		socket.close(fd)
		say("disconnect")
	end)
	if not ok then
		say("error", err)
	end
	say("client done")
	skynet.abort()
end)
