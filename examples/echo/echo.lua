-- A TCP echo server: every byte a client sends comes straight back, in
-- order. The client may close its sending side; whatever was echoed is
-- still flushed before the connection closes.
--
-- Arguments: [address [port]]; otherwise the config keys echo_address and
-- echo_port, else 127.0.0.1:8001. Port 0 picks a free port; ask for it with
-- skynet.call(echo, "lua", "address") -> address, port.
local skynet = require "skynet"
local socket = require "skynet.socket"

local address, port = ...
local clients = 0

local function serve(id)
	if not socket.start(id) then
		return
	end
	clients = clients + 1
	while true do
		local data = socket.read(id)
		if not data then
			break
		end
		socket.write(id, data)
	end
	socket.close(id)
	clients = clients - 1
end

local CMD = {}

function CMD.address()
	return address, port
end

function CMD.clients()
	return clients
end

skynet.start(function()
	address = address or skynet.getenv "echo_address" or "127.0.0.1"
	port = tonumber(port or skynet.getenv "echo_port" or 8001)
	local listener
	listener, address, port = socket.listen(address, port, 1024)
	socket.start(listener, function(id)
		skynet.fork(serve, id)
	end)
	skynet.error(string.format("echo: listening on %s:%d", address, port))
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = assert(CMD[cmd], "echo: unknown command")
		skynet.retpack(f(...))
	end)
end)
