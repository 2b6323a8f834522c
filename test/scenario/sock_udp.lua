-- UDP over IPv4 and IPv6: udp/udp_connect/write, sendto/udp_address,
-- udp_listen/udp_dial.
local skynet = require "skynet"
require "skynet.manager"	-- skynet.abort, used by T.done
local socket = require "skynet.socket"
local T = require "testlib"
local L = require "svc_socklib"

-- UDP has no "port 0 then ask" in this API (udp_listen needs a port), so
-- pick random high ports until one binds.
local function bind_random(open)
	local last
	for _ = 1, 50 do
		local port = math.random(20000, 60000)
		local ok, id = pcall(open, port)
		if ok then
			return id, port
		end
		last = id
	end
	error("no free udp port: " .. tostring(last))
end

-- A server on host that answers every datagram with "echo:<data>".
local function echo_server(host)
	local server, port
	local q = L.queue()
	server, port = bind_random(function(p)
		return socket.udp(function(data, from)
			q.push(data, from)
			socket.sendto(server, from, "echo:" .. data)
		end, host, p)
	end)
	return server, port, q
end

local function roundtrip(host)
	local server, port, seen = echo_server(host)
	local replies = L.queue()
	local client = socket.udp(function(data, from)
		replies.push(data, from)
	end, host, 0)
	socket.udp_connect(client, host, port)
	T.eq(socket.write(client, "ping"), true, "write")
	local data, from = seen.pop(nil, "server receive")
	T.eq(data, "ping", "server got")
	local ip, cport = socket.udp_address(from)
	T.eq(ip, host, "sender ip")
	T.ok(type(cport) == "number" and cport > 0, "sender port")
	local reply, rfrom = replies.pop(nil, "client receive")
	T.eq(reply, "echo:ping", "client got")
	local sip, sport = socket.udp_address(rfrom)
	T.eq(sip, host, "reply ip")
	T.eq(sport, port, "reply port")
	for i = 1, 50 do
		socket.write(client, "n" .. i)
	end
	for i = 1, 50 do
		T.eq(replies.pop(nil, "burst"), "echo:n" .. i, "burst reply " .. i)
	end
	socket.close(client)
	socket.close(server)
end

skynet.start(function()
	math.randomseed(os.time() + skynet.self())

	T.case("udp v4 echo", function()
		roundtrip("127.0.0.1")
	end)

	T.case("udp v6 echo", function()
		roundtrip("::1")
	end)

	T.case("udp_listen and udp_dial", function()
		local got = L.queue()
		local server, port = bind_random(function(p)
			return socket.udp_listen("127.0.0.1", p, function(data, from)
				got.push(data, from)
			end)
		end)
		local replies = L.queue()
		local client = socket.udp_dial("127.0.0.1", port, function(data)
			replies.push(data)
		end)
		socket.write(client, "dialed")
		local data, from = got.pop(nil, "listen receive")
		T.eq(data, "dialed")
		socket.sendto(server, from, "answer")
		T.eq(replies.pop(nil, "dial receive"), "answer")
		socket.close(client)
		socket.close(server)
	end)

	T.case("sendto with an address of the wrong family fails cleanly", function()
		local v6, v6port = echo_server("::1")
		local v4 = socket.udp(function() end, "127.0.0.1", 0)
		local replies = L.queue()
		local probe = socket.udp(function(data, from)
			replies.push(data, from)
		end, "::1", 0)
		socket.udp_connect(probe, "::1", v6port)
		socket.write(probe, "x")
		local _, from6 = replies.pop(nil, "v6 reply")
		-- a v4 socket cannot send to a v6 address: dropped, node unharmed
		socket.sendto(v4, from6, "wrong family")
		socket.write(probe, "y")
		T.eq(replies.pop(nil, "v6 still fine"), "echo:y")
		socket.close(probe)
		socket.close(v4)
		socket.close(v6)
	end)

	T.done()
end)
