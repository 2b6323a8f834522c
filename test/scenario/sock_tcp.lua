-- skynet.socket TCP API: listen/open/start, the read family, close
-- semantics, limit, warning, onclose, netstat, resolve, header.
local skynet = require "skynet"
require "skynet.manager"	-- skynet.abort, used by T.done
local socket = require "skynet.socket"
local T = require "testlib"
local L = require "svc_socklib"

local lid, port, accepted

-- A connected pair: client id (this service opened it), server id (accepted).
local function pair()
	local c = assert(socket.open("127.0.0.1", port))
	local s = L.accept(accepted)
	return c, s
end

local function closed_port()
	local id, _, p = socket.listen("127.0.0.1", 0)
	socket.close(id)
	return p
end

skynet.start(function()
	T.case("listen on port 0 reports the bound address and port", function()
		local addr
		lid, port, accepted, addr = L.listener()
		T.eq(addr, "127.0.0.1", "address")
		T.ok(type(port) == "number" and port > 0 and port < 65536, "port")
	end)

	T.case("open/accept: peer address, both ends connected", function()
		local c = assert(socket.open("127.0.0.1", port))
		local s, from = L.accept(accepted)
		T.ok(from:match("^127%.0%.0%.1:%d+$"), "peer address " .. tostring(from))
		T.eq(socket.invalid(c), false, "client valid")
		T.eq(socket.disconnected(s), false, "server connected")
		socket.close(c)
		socket.close(s)
		T.eq(socket.invalid(c), true, "closed client forgotten")
		T.eq(socket.disconnected(c), nil, "closed client has no state")
	end)

	T.case("open accepts \"host:port\"", function()
		local c = assert(socket.open("127.0.0.1:" .. port))
		local s = L.accept(accepted)
		socket.write(c, "x")
		T.eq(socket.read(s, 1), "x")
		socket.close(c)
		socket.close(s)
	end)

	T.case("open to a closed port fails with an error text", function()
		local p = closed_port()
		local id, err = socket.open("127.0.0.1", p)
		T.eq(id, nil, "id")
		T.ok(type(err) == "string" and #err > 0, "error text " .. tostring(err))
	end)

	T.case("read(n) waits for exactly n bytes; read() returns what is there", function()
		local c, s = pair()
		skynet.fork(function()
			socket.write(c, "hel")
			skynet.yield()
			socket.write(c, "lo wor")
			skynet.yield()
			socket.write(c, "ld")
		end)
		T.eq(socket.read(s, 5), "hello")
		local rest = ""
		while #rest < 6 do
			local data = assert(socket.read(s))
			T.ok(#data > 0, "read() returns at least one byte")
			rest = rest .. data
		end
		T.eq(rest, " world")
		T.eq(socket.read(s, 0), "", "read 0")
		socket.close(c)
		socket.close(s)
	end)

	T.case("readline with default and custom separators; rest after close", function()
		local c, s = pair()
		socket.write(c, "line1\nline2\r\nrest")
		T.eq(socket.readline(s), "line1")
		T.eq(socket.readline(s, "\r\n"), "line2")
		socket.close(c)
		local ok, rest = socket.readline(s)
		T.eq(ok, false, "readline after close")
		T.eq(rest, "rest", "leftover")
		socket.close(s)
	end)

	T.case("read(n) after the peer closed returns false and the leftover", function()
		local c, s = pair()
		socket.write(c, "abcd")
		socket.close(c)
		local ok, rest = socket.read(s, 10)
		T.eq(ok, false, "short read")
		T.eq(rest, "abcd", "leftover")
		T.eq(socket.disconnected(s), true, "disconnected after peer close")
		T.eq(socket.invalid(s), false, "still valid until close")
		socket.close(s)
	end)

	T.case("readall collects everything until close", function()
		local c, s = pair()
		skynet.fork(function()
			for i = 1, 3 do
				socket.write(c, "chunk" .. i .. ";")
				skynet.yield()
			end
			socket.close(c)
		end)
		T.eq(socket.readall(s), "chunk1;chunk2;chunk3;")
		T.eq(socket.readall(s), false, "nothing more")
		socket.close(s)
	end)

	T.case("block waits for data, then reports the close", function()
		local c, s = pair()
		skynet.fork(function()
			socket.write(c, "z")
		end)
		T.eq(socket.block(s), true, "data arrived")
		T.eq(socket.read(s, 1), "z")
		socket.close(c)
		T.eq(socket.block(s), false, "closed")
		socket.close(s)
	end)

	T.case("write accepts a string array and a msg/sz pair", function()
		local c, s = pair()
		T.eq(socket.write(c, { "ab", "cd", "ef" }), true, "array write")
		T.eq(socket.read(s, 6), "abcdef")
		local msg, sz = skynet.pack("packed", 42)
		T.eq(socket.write(c, msg, sz), true, "msg write")
		local got = socket.read(s, sz)
		local a, b = skynet.unpack(got)
		T.eq(a, "packed")
		T.eq(b, 42)
		T.eq(socket.lwrite(c, "low"), true, "lwrite")
		T.eq(socket.read(s, 3), "low")
		socket.close(c)
		socket.close(s)
		T.eq(socket.write(c, "late"), false, "write to a closed id")
	end)

	T.case("onclose fires once when the peer closes", function()
		local c, s = pair()
		local q = L.queue()
		socket.onclose(s, function(id)
			q.push(id)
		end)
		socket.close(c)
		T.eq(q.pop(nil, "onclose"), s, "callback id")
		socket.close(s)
		T.eq(q.size(), 0, "only once")
	end)

	T.case("shutdown closes at once; the peer sees the close", function()
		local c, s = pair()
		socket.shutdown(c)
		local ok = socket.read(s)
		T.eq(ok, false, "peer read after shutdown")
		socket.close(c)
		socket.close(s)
	end)

	T.case("close while another coroutine is reading wakes the reader", function()
		local c, s = pair()
		local q = L.queue()
		socket.write(c, "part")
		skynet.fork(function()
			q.push(socket.read(s, 4))
			q.push(socket.read(s, 100))
		end)
		T.eq(q.pop(nil, "first read"), "part")
		local ok = L.within(500, socket.close, s)
		T.eq(ok, true, "close returned")
		local r = q.pop(nil, "reader")
		T.eq(r, false, "reader result")
		socket.close(c)
	end)

	T.case("close while start is still waiting makes start fail", function()
		local c = assert(socket.open("127.0.0.1", port))
		local s = accepted.pop(nil, "accept")
		local q = L.queue()
		skynet.fork(function()
			q.push(socket.start(s))
		end)
		-- runs once start has suspended, before its CONNECT arrives
		skynet.fork(socket.close, s)
		local id, err = q.pop(500, "start returns")
		T.eq(id, nil, "start result")
		T.eq(err, "socket closed", "start error")
		T.eq(socket.invalid(s), true, "forgotten")
		socket.close(c)
	end)

	T.case("limit closes a socket whose unread input overflows", function()
		local c, s = pair()
		socket.limit(s, 1024)
		socket.write(c, string.rep("x", 4096))
		local ok = L.within(500, socket.read, c)
		T.eq(ok, true, "client read returned")
		T.eq(socket.disconnected(c), true, "client sees the close")
		T.ok(L.log_wait("socket buffer overflow: fd=" .. s), "overflow logged")
		socket.close(c)
		socket.close(s)
	end)

	T.case("warning callback reports the send backlog and its drain", function()
		local c, s = pair()
		socket.pause(s) -- the backlog must build up; the read below resumes s
		local q = L.queue()
		socket.warning(c, function(id, kb)
			q.push(id, kb)
		end)
		local total = 32 * 1024 * 1024
		local block = string.rep("w", 1024 * 1024)
		for _ = 1, total / #block do
			socket.write(c, block)
		end
		local id, kb = q.pop(1000, "warning")
		T.eq(id, c, "warning id")
		T.ok(kb >= 1024, "backlog KiB " .. kb)
		local got = #assert(socket.read(s, total))
		T.eq(got, total, "all bytes read")
		repeat
			id, kb = q.pop(1000, "drain warning")
		until kb == 0
		socket.close(c)
		socket.close(s)
	end)

	T.case("default warning is logged", function()
		local c, s = pair()
		-- the reader stops, so the backlog builds up in the writer's queue
		-- whichever thread writes (a reading socket thread can keep up with it)
		socket.pause(s)
		local block = string.rep("d", 1024 * 1024)
		for _ = 1, 32 do
			socket.write(c, block)
		end
		T.ok(L.log_wait(string.format("K bytes need to send out (fd = %d)", c)), "WARNING logged")
		socket.close(s)
		socket.close(c)
	end)

	T.case("pause stops reading until the next read resumes it", function()
		local c, s = pair()
		local function reading()
			for _, info in ipairs(socket.netstat()) do
				if info.id == s then
					return info.reading
				end
			end
		end
		T.eq(reading(), true, "reading after start")
		socket.pause(s)
		T.eq(reading(), false, "not reading while paused")
		T.ok(L.log_wait(string.format("Pause socket (%d)", s)), "pause logged")
		socket.write(c, "data")
		T.eq(socket.read(s, 4), "data", "read resumes")
		T.eq(reading(), true, "reading again")
		T.ok(L.log_wait(string.format("Resume socket (%d)", s)), "resume logged")
		socket.close(c)
		socket.close(s)
	end)

	T.case("bind adopts an OS file descriptor (a pipe)", function()
		local ffi = require "ffi"
		pcall(ffi.cdef, [[
			int pipe(int fds[2]);
			long write(int fd, const void *buf, unsigned long n);
			int close(int fd);
		]])
		local fds = ffi.new("int[2]")
		T.eq(ffi.C.pipe(fds), 0, "pipe")
		local id = assert(socket.bind(fds[0]))
		T.eq(tonumber(ffi.C.write(fds[1], "through a pipe\n", 15)), 15, "write")
		T.eq(socket.readline(id), "through a pipe")
		ffi.C.close(fds[1])
		T.eq(socket.read(id), false, "EOF when the write end closes")
		socket.close(id)
	end)

	T.case("netstat lists the listener and connections", function()
		local c, s = pair()
		local seen = {}
		for _, info in ipairs(socket.netstat()) do
			seen[info.id] = info
		end
		T.ok(seen[lid], "listener listed")
		T.eq(seen[lid].type, "LISTEN", "listener type")
		T.ok(seen[c], "client listed")
		T.eq(seen[c].type, "TCP", "client type")
		T.eq(seen[c].address, skynet.self(), "owner")
		socket.close(c)
		socket.close(s)
	end)

	T.case("resolve localhost", function()
		local ips = socket.resolve("localhost")
		local found = false
		for _, ip in ipairs(ips) do
			if ip == "127.0.0.1" or ip == "::1" then
				found = true
			end
		end
		T.ok(found, "loopback address among " .. table.concat(ips, ","))
	end)

	T.case("header decodes big-endian lengths of 1..4 bytes", function()
		T.eq(socket.header("\5"), 5)
		T.eq(socket.header("\0\1"), 1)
		T.eq(socket.header("\1\2\3"), 0x010203)
		T.eq(socket.header("\1\0\0\0"), 16777216)
		T.raises("Invalid read", socket.header, "")
		T.raises("Invalid read", socket.header, "12345")
	end)

	T.case("a listener closed with socket.close stops accepting", function()
		local id, _, p = socket.listen("127.0.0.1", 0)
		socket.start(id, function(newid)
			socket.close_fd(newid)
		end)
		socket.close(id)
		T.eq(socket.invalid(id), true, "forgotten")
		local c, err = socket.open("127.0.0.1", p)
		T.eq(c, nil, "connect refused: " .. tostring(err))
	end)

	socket.close(lid)
	T.done()
end)
