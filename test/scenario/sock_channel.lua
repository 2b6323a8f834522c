-- skynet.socketchannel: order and session modes, multi-part responses,
-- auth, backup hosts, changehost, close, overload, reconnection, and
-- requests failing promptly when the server dies while they wait.
local skynet = require "skynet"
require "skynet.manager"
local socket = require "skynet.socket"
local sc = require "skynet.socketchannel"
local T = require "testlib"
local L = require "svc_socklib"

local function read_line(sock)
	return true, sock:readline()
end

local function read_session(sock)
	local head = sock:readline()
	local session, flag, len = head:match("^(%d+) (%a+) (%d+)$")
	local data = sock:read(tonumber(len))
	return tonumber(session), flag ~= "err", data, flag == "part"
end

local function server(mode, name, secret)
	local srv = skynet.newservice("svc_sock_chserver")
	return srv, skynet.call(srv, "lua", "start", mode, name, secret)
end

local function closed_port()
	local id, _, p = socket.listen("127.0.0.1", 0)
	socket.close(id)
	return p
end

-- Start n requests in forks; returns a queue receiving pcall results.
local function pending(n, f)
	local q = L.queue()
	for i = 1, n do
		skynet.fork(function()
			q.push(pcall(f, i))
		end)
	end
	skynet.yield()
	return q
end

skynet.start(function()
	local lineA, portA = server("line", "A")
	local _, portB = server("line", "B")
	local sessA, sportA = server("session", "S")

	T.case("the error object prints as [Error: socket]", function()
		T.eq(tostring(sc.error), "[Error: socket]")
	end)

	T.case("order mode: concurrent requests get their own answers", function()
		local ch = sc.channel { host = "127.0.0.1", port = portA }
		local q = pending(20, function(i)
			return i, ch:request("r" .. i .. "\n", read_line)
		end)
		for _ = 1, 20 do
			local ok, i, answer = q.pop(nil, "answers")
			T.ok(ok, tostring(i))
			T.eq(answer, "A:r" .. i)
		end
		T.eq(ch:request("hang\n"), nil, "request without response returns at once")
		T.eq(ch:request("after\n", read_line), "A:after")
		ch:close()
	end)

	T.case("order mode: the server closing fails the waiting request, the next one reconnects", function()
		local ch = sc.channel { host = "127.0.0.1", port = portA }
		T.eq(ch:request("one\n", read_line), "A:one")
		local before = skynet.call(lineA, "lua", "connections")
		local ok, err = pcall(ch.request, ch, "close\n", read_line)
		T.eq(ok, false, "request on the closing connection")
		T.eq(err, sc.error, "fails with socketchannel.error")
		T.eq(ch:request("two\n", read_line), "A:two")
		T.eq(skynet.call(lineA, "lua", "connections"), before + 1, "reconnected once")
		ch:close()
	end)

	T.case("order mode: server dies with requests pending, all fail promptly", function()
		local srv, port = server("line", "D")
		local ch = sc.channel { host = "127.0.0.1", port = port }
		T.eq(ch:request("warm\n", read_line), "D:warm")
		local q = pending(5, function()
			return ch:request("hang\n", read_line)
		end)
		local t0 = skynet.now()
		skynet.send(srv, "lua", "exit")
		for _ = 1, 5 do
			local ok, err = q.pop(300, "failed request")
			T.eq(ok, false, "request fails")
			T.eq(tostring(err), "[Error: socket]", "error")
		end
		T.ok(skynet.now() - t0 < 100, "within a second: " .. (skynet.now() - t0) .. " cs")
		ch:close()
	end)

	T.case("session mode: out-of-order answers reach their callers", function()
		local ch = sc.channel { host = "127.0.0.1", port = sportA, response = read_session }
		local order = L.queue()
		local q = L.queue()
		local function ask(session, text)
			skynet.fork(function()
				local r = ch:request(session .. " " .. text .. "\n", session)
				order.push(session)
				q.push(session, r)
			end)
		end
		ask(1, "delay 30 slow")
		ask(2, "delay 10 medium")
		ask(3, "echo fast")
		local want = { [1] = "S:slow", [2] = "S:medium", [3] = "S:fast" }
		for _ = 1, 3 do
			local session, r = q.pop(nil, "session answer")
			T.eq(r, want[session], "answer for session " .. session)
		end
		T.eq(order.pop(), 3, "fast first")
		T.eq(order.pop(), 2, "then medium")
		T.eq(order.pop(), 1, "slow last")
		ch:close()
	end)

	T.case("session mode: multi-part answer and error answer", function()
		local ch = sc.channel { host = "127.0.0.1", port = sportA, response = read_session }
		local parts = ch:request("10 parts 3\n", 10)
		T.eq(type(parts), "table", "padded answer is a table")
		T.eq(table.concat(parts, ","), "p1,p2,p3")
		T.eq(ch:request("11 parts 1\n", 11), "p1", "single part stays a string")
		T.raises("failed on purpose", ch.request, ch, "12 fail\n", 12)
		T.eq(ch:request("13 echo ok\n", 13), "S:ok", "channel still usable")
		ch:close()
	end)

	T.case("session mode: server dies with requests pending, all fail promptly", function()
		local srv, port = server("session", "X")
		local ch = sc.channel { host = "127.0.0.1", port = port, response = read_session }
		T.eq(ch:request("1 echo warm\n", 1), "X:warm")
		local q = pending(5, function(i)
			return ch:request((i + 1) .. " hang\n", i + 1)
		end)
		local t0 = skynet.now()
		skynet.send(srv, "lua", "exit")
		for _ = 1, 5 do
			local ok, err = q.pop(300, "failed request")
			T.eq(ok, false, "request fails")
			T.eq(tostring(err), "[Error: socket]", "error")
		end
		T.ok(skynet.now() - t0 < 100, "within a second: " .. (skynet.now() - t0) .. " cs")
		local ok = pcall(ch.request, ch, "9 echo again\n", 9)
		T.eq(ok, false, "server gone: reconnect fails")
		T.ok(L.log_wait("Connect failed"), "connect failure logged")
		ch:close()
	end)

	T.case("session mode: killed server, pending requests fail promptly", function()
		local srv, port = server("session", "K")
		local ch = sc.channel { host = "127.0.0.1", port = port, response = read_session }
		T.eq(ch:request("1 echo warm\n", 1), "K:warm")
		local q = pending(3, function(i)
			return ch:request((i + 1) .. " hang\n", i + 1)
		end)
		skynet.kill(srv)
		for _ = 1, 3 do
			local ok = q.pop(300, "failed request")
			T.eq(ok, false, "request fails")
		end
		ch:close()
	end)

	T.case("session mode: server closes the connection, next request reconnects", function()
		local ch = sc.channel { host = "127.0.0.1", port = sportA, response = read_session }
		T.eq(ch:request("1 echo a\n", 1), "S:a")
		local ok = pcall(ch.request, ch, "2 bye\n", 2)
		T.eq(ok, false, "request on the closed connection fails")
		T.eq(ch:request("3 echo b\n", 3), "S:b", "reconnected")
		T.ok(skynet.call(sessA, "lua", "connections") >= 2, "a new connection")
		ch:close()
	end)

	T.case("auth runs on every connect; a failing auth fails the connect", function()
		local _, port = server("line", "P", "sesame")
		local authed = 0
		local ch = sc.channel {
			host = "127.0.0.1",
			port = port,
			auth = function(c)
				T.eq(c:request("auth sesame\n", read_line), "ok", "auth answer")
				authed = authed + 1
			end,
		}
		T.eq(ch:request("x\n", read_line), "P:x")
		T.eq(authed, 1, "auth ran")
		ch:close()
		local bad = sc.channel {
			host = "127.0.0.1",
			port = port,
			auth = function(c)
				c:request("auth wrong\n", read_line)
			end,
		}
		local ok, err = pcall(bad.request, bad, "x\n", read_line)
		T.eq(ok, false, "request after failed auth")
		T.eq(err, sc.error, "socket error")
		bad:close()
	end)

	T.case("backup host used when the main host refuses", function()
		local ch = sc.channel {
			host = "127.0.0.1",
			port = closed_port(),
			backup = { { host = "127.0.0.1", port = portB } },
		}
		T.eq(ch:request("x\n", read_line), "B:x")
		T.eq(ch.__port, portB, "channel now points at the backup")
		ch:close()
	end)

	T.case("changebackup replaces the backup list", function()
		local ch = sc.channel { host = "127.0.0.1", port = closed_port() }
		ch:changebackup { { host = "127.0.0.1", port = portA } }
		T.eq(ch:request("y\n", read_line), "A:y")
		ch:close()
	end)

	T.case("changehost moves the channel", function()
		local ch = sc.channel { host = "127.0.0.1", port = portA }
		T.eq(ch:request("x\n", read_line), "A:x")
		ch:changehost("127.0.0.1", portB)
		T.eq(ch:request("x\n", read_line), "B:x")
		ch:close()
	end)

	T.case("close fails pending requests and refuses new ones", function()
		local ch = sc.channel { host = "127.0.0.1", port = portA }
		T.eq(ch:request("x\n", read_line), "A:x")
		local q = pending(2, function()
			return ch:request("hang\n", read_line)
		end)
		ch:close()
		for _ = 1, 2 do
			T.eq(q.pop(300, "pending after close"), false, "pending fails")
		end
		T.raises("assertion failed", ch.request, ch, "x\n", read_line)
		T.eq(ch:connect(true), true, "connect reopens a closed channel")
		T.eq(ch:request("z\n", read_line), "A:z")
		ch:close()
	end)

	T.case("connect(true) to a closed port raises socketchannel.error", function()
		local ch = sc.channel { host = "127.0.0.1", port = closed_port() }
		local ok, err = pcall(ch.connect, ch, true)
		T.eq(ok, false, "connect fails")
		T.eq(err, sc.error, "error object")
	end)

	T.case("overload callback on a send backlog and its drain", function()
		local srv, port = server("line", "O")
		local q = L.queue()
		local ch = sc.channel {
			host = "127.0.0.1",
			port = port,
			overload = function(on)
				q.push(on)
			end,
		}
		ch:request("stall\n")
		ch:request(string.rep("z", 32 * 1024 * 1024))
		T.eq(q.pop(1000, "overload on"), true, "overloaded")
		skynet.call(srv, "lua", "resume")
		T.eq(q.pop(1000, "overload off"), false, "drained")
		ch:close()
	end)

	T.done()
end)
