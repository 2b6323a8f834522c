-- snax.loginserver: the login half of skynet's login/gate pair.
--
-- A login service calls `login(conf)` once. The first instance becomes the
-- master: it listens on conf.host:conf.port and hands each connection to one
-- of conf.instance slaves (the same service file, started again), which run
-- the handshake and conf.auth_handler; the master then runs
-- conf.login_handler and answers the client.
--
-- The line protocol (every line ends with "\n", binary parts in base64):
--   S->C  challenge            8 random bytes
--   C->S  client key           dhexchange(client private key)
--   S->C  server key           dhexchange(server private key)
--         both sides           secret = dhsecret(other key, own private key)
--   C->S  hmac64(challenge, secret)
--   C->S  desencode(secret, token)
--   S->C  "200 " .. base64(subid)  or  "401 Unauthorized" (auth_handler raised),
--         "403 Forbidden" (login_handler raised), "406 Not Acceptable" (the
--         user is logging in already and conf.multilogin is not set)
--
-- conf: host ("0.0.0.0"), port, instance (8), name ("login": the master is
-- registered as ".login"), multilogin, auth_handler(token) -> server, uid
-- (runs in a slave), login_handler(server, uid, secret) -> subid,
-- command_handler(command, ...) for "lua" calls to the master.
local skynet = require "skynet"
require "skynet.manager"
local socket = require "skynet.socket"
local crypt = require "skynet.crypt"

local socket_error = {}

local function check_socket(what, v, fd)
	if not v then
		skynet.error(string.format("%s failed: socket (fd = %d) closed", what, fd))
		error(socket_error)
	end
	return v
end

local function writeline(what, fd, text)
	check_socket(what, socket.write(fd, text .. "\n"), fd)
end

local function readline(what, fd)
	return check_socket(what, socket.readline(fd), fd)
end

-- The slave side: the handshake, then auth_handler on the decrypted token.
-- Returns ok, server, uid, secret (ok = false when auth_handler raised).
local function handshake(auth_handler, fd)
	socket.limit(fd, 8192)	-- a client sending more than a handshake is dropped
	local challenge = crypt.randomkey()
	writeline("auth", fd, crypt.base64encode(challenge))
	local clientkey = crypt.base64decode(readline("auth", fd))
	if #clientkey ~= 8 then
		error "Invalid client key"
	end
	local serverkey = crypt.randomkey()
	writeline("auth", fd, crypt.base64encode(crypt.dhexchange(serverkey)))
	local secret = crypt.dhsecret(clientkey, serverkey)
	if crypt.base64decode(readline("auth", fd)) ~= crypt.hmac64(challenge, secret) then
		error "challenge failed"
	end
	local token = crypt.desdecode(secret, crypt.base64decode(readline("auth", fd)))
	local ok, server, uid = pcall(auth_handler, token)
	return ok, server, uid, secret
end

-- What a slave answers the master: ok, ... / nil, "socket error" / false, err
local function pack_result(ok, err, ...)
	if ok then
		return skynet.pack(err, ...)
	elseif err == socket_error then
		return skynet.pack(nil, "socket error")
	end
	return skynet.pack(false, err)
end

local function run_slave(auth_handler)
	local function serve(fd, addr)
		skynet.error(string.format("connect from %s (fd = %d)", addr, fd))
		socket.start(fd)
		local msg, sz = pack_result(pcall(handshake, auth_handler, fd))
		socket.abandon(fd)	-- the master answers on this fd
		return msg, sz
	end
	skynet.dispatch("lua", function(_, _, fd, addr)
		local ok, msg, sz = pcall(serve, fd, addr)
		if ok then
			skynet.ret(msg, sz)
		else
			skynet.ret(skynet.pack(false, msg))
		end
	end)
end

local logging_in = {}	-- uid -> true while its login_handler runs

local function accept(conf, slave, fd, addr)
	local ok, server, uid, secret = skynet.call(slave, "lua", fd, addr)
	if not ok then
		if ok == false then	-- nil: the socket failed, nobody to answer
			writeline("response 401", fd, "401 Unauthorized")
		end
		error(server)
	end
	if not conf.multilogin then
		if logging_in[uid] then
			writeline("response 406", fd, "406 Not Acceptable")
			error(string.format("User %s is already login", uid))
		end
		logging_in[uid] = true
	end
	local done, subid = pcall(conf.login_handler, server, uid, secret)
	logging_in[uid] = nil
	if not done then
		writeline("response 403", fd, "403 Forbidden")
		error(subid)
	end
	writeline("response 200", fd, "200 " .. crypt.base64encode(subid or ""))
end

local function run_master(conf)
	local instance = conf.instance or 8
	assert(instance > 0)
	local host = conf.host or "0.0.0.0"
	local port = assert(tonumber(conf.port))

	skynet.dispatch("lua", function(_, _, command, ...)
		skynet.ret(skynet.pack(conf.command_handler(command, ...)))
	end)

	local slaves = {}
	for i = 1, instance do
		slaves[i] = skynet.newservice(SERVICE_NAME)
	end
	local next_slave = 0

	skynet.error(string.format("login server listen at : %s %d", host, port))
	local id = socket.listen(host, port)
	socket.start(id, function(fd, addr)
		next_slave = next_slave % #slaves + 1
		local ok, err = pcall(accept, conf, slaves[next_slave], fd, addr)
		if not ok and err ~= socket_error then
			skynet.error(string.format("invalid client (fd = %d) error = %s", fd, tostring(err)))
		end
		-- the slave started and abandoned fd: the master never owned it, so
		-- socket.close would not close it (upstream leaves it to the client)
		socket.close_fd(fd)
	end)
end

local function login(conf)
	local name = "." .. (conf.name or "login")
	skynet.start(function()
		if skynet.localname(name) then
			run_slave(assert(conf.auth_handler))
		else
			assert(conf.login_handler)
			assert(conf.command_handler)
			skynet.register(name)
			run_master(conf)
		end
	end)
end

return login
