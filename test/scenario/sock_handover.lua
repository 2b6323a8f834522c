-- socket.abandon + socket.start: a socket moves to another service, which
-- then owns its input; both for an accepted and for an opened socket.
local skynet = require "skynet"
require "skynet.manager"	-- skynet.abort, used by T.done
local socket = require "skynet.socket"
local T = require "testlib"
local L = require "svc_socklib"

skynet.start(function()
	local lid, port, accepted = L.listener()
	local taker = skynet.newservice("svc_sock_peer")

	T.case("an accepted socket handed to another service", function()
		local c = assert(socket.open("127.0.0.1", port))
		local s = L.accept(accepted)
		socket.write(c, "first\n")
		T.eq(socket.readline(s), "first", "read before handover")
		socket.abandon(s)
		T.eq(socket.invalid(s), true, "abandoned socket forgotten here")
		T.eq(skynet.call(taker, "lua", "take", s, "taker"), true, "taker started it")
		socket.write(c, "second\nthird\n")
		T.eq(socket.readline(c), "taker:second")
		T.eq(socket.readline(c), "taker:third")
		local owner
		for _, info in ipairs(socket.netstat()) do
			if info.id == s then
				owner = info.address
			end
		end
		T.eq(owner, taker, "netstat owner")
		socket.close(c)
	end)

	T.case("an opened socket handed to another service", function()
		local c = assert(socket.open("127.0.0.1", port))
		local s = L.accept(accepted)
		socket.abandon(c)
		T.eq(skynet.call(taker, "lua", "take", c, "moved"), true, "taker started it")
		socket.write(s, "hello\n")
		T.eq(socket.readline(s), "moved:hello")
		socket.close(s)
	end)

	T.case("starting an unknown id fails", function()
		local ok, err = skynet.call(taker, "lua", "take", 0x7ffffff0, "none")
		T.eq(ok, false, "start result")
		T.ok(err ~= nil, "error given")
	end)

	socket.close(lid)
	T.done()
end)
