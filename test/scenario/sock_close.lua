-- Connections that end badly: the peer closes in the middle of a large
-- write, the peer half-closes (shuts down its sending side) and still
-- receives our answer, a service holding sockets exits.
local skynet = require "skynet"
require "skynet.manager"
local socket = require "skynet.socket"
local T = require "testlib"
local L = require "svc_socklib"

local function have_python()
	local f = io.popen("command -v python3")
	local out = f:read "*a"
	f:close()
	return out ~= ""
end

local HALF_CLOSE_CLIENT = [[
import socket, sys
s = socket.create_connection(("127.0.0.1", %d), timeout=10)
s.sendall(b"hello from python")
s.shutdown(socket.SHUT_WR)
buf = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    buf += d
sys.stdout.write(buf.decode())
]]

skynet.start(function()
	local lid, port, accepted = L.listener()

	T.case("peer closes in the middle of a large write", function()
		local c = assert(socket.open("127.0.0.1", port))
		local s = L.accept(accepted)
		local block = string.rep("m", 1024 * 1024)
		for _ = 1, 16 do
			socket.write(c, block)
		end
		T.eq(#socket.read(s, 65536), 65536, "server read a part")
		socket.close(s)
		local ok = L.within(500, function()
			while socket.read(c) do
			end
		end)
		T.ok(ok, "writer learns about the close")
		T.eq(socket.disconnected(c), true, "writer disconnected")
		socket.close(c)
		-- the close is a request to the socket thread: as upstream, a write
		-- racing it may still be accepted (and dropped); once it is done,
		-- writes fail
		local refused = false
		for _ = 1, 500 do
			if socket.write(c, "more") == false then
				refused = true
				break
			end
			skynet.sleep(1)
		end
		T.ok(refused, "write after close")
		-- the node keeps serving
		local c2 = assert(socket.open("127.0.0.1", port))
		local s2 = L.accept(accepted)
		socket.write(c2, "still here")
		T.eq(socket.read(s2, 10), "still here")
		socket.close(c2)
		socket.close(s2)
	end)

	T.case("peer closes while a read waits for more bytes", function()
		local c = assert(socket.open("127.0.0.1", port))
		local s = L.accept(accepted)
		skynet.fork(function()
			socket.write(c, "abc")
			socket.close(c)
		end)
		local ok, rest = socket.read(s, 10)
		T.eq(ok, false, "short read fails")
		T.eq(rest, "abc", "the bytes that came")
		socket.close(s)
	end)

	T.case("half-closed peer still receives what we send after its EOF", function()
		if not have_python() then
			print("SKIP half-close: python3 not found")
			return
		end
		local exec = skynet.newservice("svc_sock_exec")
		local q = L.queue()
		skynet.fork(function()
			q.push(skynet.call(exec, "lua", "python3 -c '" .. HALF_CLOSE_CLIENT:format(port) .. "'"))
		end)
		local s = L.accept(accepted)
		local got = socket.readall(s)
		T.eq(got, "hello from python", "request before EOF")
		T.eq(socket.disconnected(s), true, "EOF seen")
		T.eq(socket.write(s, "got: " .. got), true, "write after EOF")
		skynet.yield()
		T.eq(socket.write(s, " (and more)"), true, "second write after EOF")
		socket.close(s)
		local out = q.pop(1500, "python client")
		T.eq(out, "got: hello from python (and more)", "python received")
	end)

	T.case("a service that exits releases its sockets", function()
		local peer = skynet.newservice("svc_sock_peer")
		local hold_port = skynet.call(peer, "lua", "hold")
		local c = assert(socket.open("127.0.0.1", hold_port))
		socket.write(c, "ping")
		skynet.send(peer, "lua", "exit")
		local ok = L.within(500, socket.read, c)
		T.ok(ok, "our end sees the close")
		T.eq(socket.disconnected(c), true, "disconnected")
		socket.close(c)
		local c2, err = socket.open("127.0.0.1", hold_port)
		T.eq(c2, nil, "listener closed too: " .. tostring(err))
	end)

	T.case("a killed service releases its sockets", function()
		local peer = skynet.newservice("svc_sock_peer")
		local hold_port = skynet.call(peer, "lua", "hold")
		local c = assert(socket.open("127.0.0.1", hold_port))
		socket.write(c, "ping")
		skynet.kill(peer)
		local ok = L.within(500, socket.read, c)
		T.ok(ok, "our end sees the close")
		T.eq(socket.disconnected(c), true, "disconnected")
		socket.close(c)
	end)

	socket.close(lid)
	T.done()
end)
