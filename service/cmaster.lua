-- The harbor master (started by bootstrap when the config sets `standalone`,
-- the address it listens on). Every slave (cslave) keeps one connection to
-- it. The master knows each slave's harbor id and address and every global
-- name, and tells the slaves about each other.
--
-- A package is one length byte and skynet.packstring(type, ...):
--   slave -> master  H id address | R name handle | Q name
--   master -> slave  W n | C id address | N name handle | D id
-- (W: how many slaves will connect to you; C: connect to this slave;
-- N: a global name; D: this slave is gone.)
local skynet = require "skynet"
local socket = require "skynet.socket"

local HANDSHAKE_TIMEOUT = 1000	-- centiseconds a new connection has to say H

local slaves = {}	-- harbor id -> { fd = , address = , up = }
local names = {}	-- global name -> handle

local function read_package(fd)
	local head = socket.read(fd, 1)
	if not head then
		error("closed", 0)
	end
	local sz = head:byte()
	if sz == 0 then
		error("empty package", 0)
	end
	local body = socket.read(fd, sz)
	if not body then
		error("closed", 0)
	end
	return skynet.unpack(body)
end

local function package(...)
	local body = skynet.packstring(...)
	assert(#body <= 255, "package too long")
	return string.char(#body) .. body
end

local function broadcast(pkg)
	for _, s in pairs(slaves) do
		if s.up then
			socket.write(s.fd, pkg)
		end
	end
end

local function is_harbor_id(id)
	return type(id) == "number" and id >= 1 and id <= 255 and id == math.floor(id)
end

-- Reads H from a new connection; returns the slave's id and address.
local function read_handshake(fd)
	local t, id, address = read_package(fd)
	if t ~= "H" then
		error("invalid handshake type " .. tostring(t), 0)
	end
	if not is_harbor_id(id) or type(address) ~= "string" then
		error("invalid handshake " .. tostring(id) .. " " .. tostring(address), 0)
	end
	local old = slaves[id]
	if old and old.up then
		error(string.format("Slave %d already register on %s", id, old.address), 0)
	end
	return id, address
end

local function join(fd, id, address)
	local waiting = 0
	local hello = package("C", id, address)
	for _, s in pairs(slaves) do
		if s.up then
			socket.write(s.fd, hello)
			waiting = waiting + 1
		end
	end
	socket.write(fd, package("W", waiting))
	slaves[id] = { fd = fd, address = address, up = true }
end

local request = {}

-- Last registration wins: a restarted slave registers its names again.
function request.R(fd, name, handle)
	if type(name) ~= "string" or type(handle) ~= "number" then
		error("invalid register request", 0)
	end
	names[name] = handle
	broadcast(package("N", name, handle))
end

function request.Q(fd, name)
	local handle = names[name]
	if handle then
		socket.write(fd, package("N", name, handle))
	end
end

local function serve(fd, id)
	while true do
		local ok, t, a, b = pcall(read_package, fd)
		if not ok then
			return t
		end
		local f = request[t]
		if f then
			local ok, err = pcall(f, fd, a, b)
			if not ok then
				skynet.error(string.format("Slave %d: %s", id, err))
			end
		else
			skynet.error("Invalid slave message type " .. tostring(t))
		end
	end
end

local function slave_session(fd, id, address)
	skynet.error(string.format("Harbor %d (fd=%d) report %s", id, fd, address))
	local why = serve(fd, id)
	skynet.error(string.format("slave %d is down (%s)", id, tostring(why)))
	slaves[id].up = false
	broadcast(package("D", id))
	socket.close(fd)
end

local function accept(fd, addr)
	skynet.error("connect from " .. addr .. " " .. fd)
	socket.start(fd)
	local done, late = false, false
	skynet.timeout(HANDSHAKE_TIMEOUT, function()
		if not done then
			late = true
			socket.close(fd)
		end
	end)
	local ok, id, address = pcall(read_handshake, fd)
	done = true
	if not ok then
		local why = late and "no handshake in time" or id
		skynet.error(string.format("disconnect fd = %d, error = %s", fd, why))
		socket.close(fd)
		return
	end
	join(fd, id, address)
	skynet.fork(slave_session, fd, id, address)
end

skynet.start(function()
	local address = skynet.getenv "standalone"
	skynet.error("master listen socket " .. tostring(address))
	local listener = socket.listen(address)
	socket.start(listener, accept)
end)
