-- service/gate.lua (on snax.gateserver) with this scenario as its watchdog:
-- open/data/close events, packet framing, forward/accept/kick, maxclient,
-- a stalled partial packet, send-backlog warnings; then the examples/gate
-- watchdog + agent end to end.
local skynet = require "skynet"
require "skynet.manager"	-- skynet.abort, used by T.done
local socket = require "skynet.socket"
local T = require "testlib"
local L = require "svc_socklib"

-- gate address -> queue of its watchdog events
local events = setmetatable({}, { __index = function(t, gate)
	local q = L.queue()
	t[gate] = q
	return q
end })

local function event(gate, what)
	return events[gate].pop(500, what or "gate event")
end

local function expect(gate, sub, fd, what)
	local got, gfd, arg = event(gate, what or sub)
	T.eq(got, sub, "event")
	if fd then
		T.eq(gfd, fd, sub .. " fd")
	end
	return gfd, arg
end

local function new_gate(conf)
	local gate = skynet.newservice("gate")
	conf.address = conf.address or "127.0.0.1"
	conf.port = conf.port or 0
	local addr, port = skynet.call(gate, "lua", "open", conf)
	return gate, port, addr
end

-- Connect a client and return (client id, gate-side fd).
local function connect(gate, port)
	local c = assert(socket.open("127.0.0.1", port))
	local fd, addr = expect(gate, "open")
	T.ok(addr:match("^127%.0%.0%.1:%d+$"), "client address " .. tostring(addr))
	return c, fd
end

skynet.start(function()
	skynet.dispatch("lua", function(_, source, cmd, sub, ...)
		assert(cmd == "socket", cmd)
		events[source].push(sub, ...)
	end)

	local gate, port, addr

	T.case("open returns the bound address and port", function()
		gate, port, addr = new_gate { maxclient = 64, nodelay = true }
		T.eq(addr, "127.0.0.1", "address")
		T.ok(port > 0, "port")
		T.ok(L.log_wait("Listen on 127.0.0.1 0"), "listen logged")
	end)

	T.case("accept: packets come to the watchdog as data", function()
		local c, fd = connect(gate, port)
		skynet.call(gate, "lua", "accept", fd)
		socket.write(c, L.frame("hello"))
		T.eq(select(2, expect(gate, "data", fd)), "hello")
		-- a frame split everywhere, header included
		socket.write(c, "\0")
		skynet.yield()
		socket.write(c, "\5he")
		skynet.yield()
		socket.write(c, "llo")
		T.eq(select(2, expect(gate, "data", fd)), "hello", "split frame")
		-- several frames in one write, in order
		socket.write(c, L.frame("a") .. L.frame("bb") .. L.frame("ccc"))
		T.eq(select(2, expect(gate, "data", fd)), "a")
		T.eq(select(2, expect(gate, "data", fd)), "bb")
		T.eq(select(2, expect(gate, "data", fd)), "ccc")
		local big = L.random_bytes(65535, 3)
		socket.write(c, L.frame(big))
		T.ok(select(2, expect(gate, "data", fd)) == big, "65535-byte packet")
		socket.close(c)
		expect(gate, "close", fd)
	end)

	T.case("forward: packets go to the agent as client messages, session = fd, source = client", function()
		local agent = skynet.newservice("svc_sock_agent")
		local c, fd = connect(gate, port)
		local client = skynet.self()
		skynet.call(gate, "lua", "forward", fd, client, agent)
		socket.write(c, L.frame("ping"))
		T.eq(L.read_frame(c), "ack:ping", "agent answered")
		local got = skynet.call(agent, "lua", "received")
		T.eq(#got, 1, "one packet")
		T.eq(got[1].session, fd, "session is the fd")
		T.eq(got[1].source, client, "source is the client")
		T.eq(got[1].text, "ping")
		T.eq(events[gate].size(), 0, "no data event for a forwarded client")
		socket.close(c)
		expect(gate, "close", fd)
	end)

	T.case("forward with defaults: agent = caller, source = gate", function()
		local agent = skynet.newservice("svc_sock_agent")
		local c, fd = connect(gate, port)
		skynet.call(agent, "lua", "forward", gate, fd)
		socket.write(c, L.frame("one") .. L.frame("two"))
		T.eq(L.read_frame(c), "ack:one")
		T.eq(L.read_frame(c), "ack:two")
		local got = skynet.call(agent, "lua", "received")
		T.eq(#got, 2, "two packets")
		T.eq(got[1].source, gate, "source defaults to the gate")
		T.eq(got[2].session, fd, "session")
		-- kick: the client is disconnected, the watchdog told
		skynet.call(gate, "lua", "kick", fd)
		T.eq(socket.read(c), false, "client sees the kick")
		expect(gate, "close", fd)
		socket.close(c)
	end)

	T.case("a client stuck inside a packet does not hold up others", function()
		local a, afd = connect(gate, port)
		skynet.call(gate, "lua", "accept", afd)
		socket.write(a, "\0\10abc")	-- 10 bytes announced, 3 sent
		local b, bfd = connect(gate, port)
		skynet.call(gate, "lua", "accept", bfd)
		for i = 1, 5 do
			socket.write(b, L.frame("b" .. i))
			T.eq(select(2, expect(gate, "data", bfd)), "b" .. i)
		end
		socket.close(a)
		expect(gate, "close", afd, "close of the stuck client")
		socket.close(b)
		expect(gate, "close", bfd)
	end)

	T.case("send backlog to a client is reported as a warning", function()
		local agent = skynet.newservice("svc_sock_agent")
		local c, fd = connect(gate, port)
		skynet.call(gate, "lua", "forward", fd, 0, agent)
		skynet.call(agent, "lua", "flood", fd, 32)
		local _, kb = expect(gate, "warning", fd)
		T.ok(kb >= 1024, "backlog " .. tostring(kb) .. " KiB")
		socket.close(c)
		local sub
		repeat
			sub = event(gate, "close after flood")
		until sub == "close" or sub == "error"
	end)

	T.case("maxclient: connections past the limit are closed at once", function()
		local g, p = new_gate { maxclient = 5 }
		local results = L.queue()
		local clients = {}
		for i = 1, 12 do
			local c = assert(socket.open("127.0.0.1", p))
			clients[i] = c
			skynet.fork(function()
				results.push(c, socket.read(c))
			end)
		end
		local fds = {}
		for i = 1, 5 do
			fds[i] = expect(g, "open", nil, "open " .. i)
		end
		for _ = 1, 7 do
			local _, r = results.pop(500, "refused client")
			T.eq(r, false, "refused client closed")
		end
		T.eq(events[g].size(), 0, "refused clients are not reported")
		-- a slot frees up when a client goes
		skynet.call(g, "lua", "kick", fds[1])
		expect(g, "close", fds[1])
		local c = assert(socket.open("127.0.0.1", p))
		expect(g, "open", nil, "open after a slot freed")
		socket.close(c)
		for _, id in ipairs(clients) do
			socket.close(id)
		end
		skynet.call(g, "lua", "close")
	end)

	T.case("close stops listening", function()
		skynet.call(gate, "lua", "close")
		local c, err = socket.open("127.0.0.1", port)
		T.eq(c, nil, "connect after close: " .. tostring(err))
	end)

	T.case("examples/gate: watchdog, gate and agent end to end", function()
		local watchdog = skynet.newservice("gate/watchdog")
		local eaddr, eport = skynet.call(watchdog, "lua", "start", {
			address = "127.0.0.1",
			port = 0,
			maxclient = 16,
		})
		T.eq(eaddr, "127.0.0.1", "address")
		local c = assert(socket.open("127.0.0.1", eport))
		local function ask(text)
			socket.write(c, L.frame(text))
			return L.read_frame(c)
		end
		T.eq(ask("ping"), "pong")
		T.eq(ask("echo hi there"), "hi there")
		T.eq(ask("count"), "3")
		T.eq(ask("nonsense"), "error: unknown command nonsense")
		T.eq(skynet.call(watchdog, "lua", "clients"), 1, "one agent")
		T.eq(ask("quit"), "bye")
		T.eq(socket.read(c), false, "closed after quit")
		socket.close(c)
	end)

	T.done()
end)
