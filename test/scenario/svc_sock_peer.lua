-- A socket peer living in its own service, driven by lua calls, for the
-- sock_* scenarios (the other end of a connection, a service to hand a
-- socket to, a service that dies holding sockets).
local skynet = require "skynet"
local socket = require "skynet.socket"
local L = require "svc_socklib"

local CMD = {}

-- Connect, write `blocks` stream blocks built from `seed`, close (the
-- socket server flushes what is queued). Returns the Adler-32 of the stream.
function CMD.stream(port, blocks, seed)
	local id = assert(socket.open("127.0.0.1", port))
	local base = L.random_bytes(65536 - 8, seed)
	local sum = 1
	for i = 1, blocks do
		local b = L.stream_block(base, i)
		sum = L.adler32(b, sum)
		socket.write(id, b)
	end
	socket.close(id)
	return sum
end

-- Connect and send data, optionally closing afterwards; returns the id.
function CMD.send(port, data, close)
	local id = assert(socket.open("127.0.0.1", port))
	socket.write(id, data)
	if close then
		socket.close(id)
	end
	return id
end

-- Write more to a socket opened by send, optionally closing it.
function CMD.write(id, data, close)
	socket.write(id, data)
	if close then
		socket.close(id)
	end
end

-- Take over a socket another service abandoned; echo each line back as
-- "<prefix>:<line>" until the peer closes.
function CMD.take(id, prefix)
	local ok, err = socket.start(id)
	if not ok then
		return false, err
	end
	skynet.fork(function()
		while true do
			local line = socket.readline(id)
			if not line then
				break
			end
			socket.write(id, prefix .. ":" .. line .. "\n")
		end
		socket.close(id)
	end)
	return true
end

-- Listen on 127.0.0.1:0 and hold every accepted connection open (reading
-- and discarding); returns the port.
function CMD.hold()
	local _, port, accepted = L.listener()
	skynet.fork(function()
		while true do
			local ok, id = pcall(L.accept, accepted)
			if ok then
				skynet.fork(function()
					while socket.read(id) do
					end
				end)
			end
		end
	end)
	return port
end

-- Connect and write `n` frames (4-byte big-endian length, then the body
-- L.frame_body(i)) as fast as the socket takes them, then close.
function CMD.frames(port, n)
	local id = assert(socket.open("127.0.0.1", port))
	for i = 1, n do
		local body = L.frame_body(i)
		socket.write(id, string.pack(">I4", #body) .. body)
	end
	socket.close(id)
	return true
end

function CMD.exit()
	skynet.exit()
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = assert(CMD[cmd], "svc_sock_peer: unknown command")
		skynet.retpack(f(...))
	end)
end)
