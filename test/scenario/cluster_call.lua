-- One node talking to itself through the cluster: it listens on a free port,
-- names itself "self" in the node map and calls its own services through
-- clustersender -> TCP -> gate -> clusteragent.
local skynet = require "skynet"
require "skynet.manager"
local cluster = require "skynet.cluster"
local core = require "skynet.cluster.core"
local socket = require "skynet.socket"
local T = require "testlib"
local L = require "svc_clusterlib"

skynet.start(function()
	local echo = skynet.newservice("svc_cluster_echo")
	skynet.name(".cecho", echo)
	local addr

	T.case("open(0) listens on a free port", function()
		local host, port = cluster.open(0)
		T.eq(host, "0.0.0.0", "listen host")
		T.ok(type(port) == "number" and port > 0, "port " .. tostring(port))
		addr = "127.0.0.1:" .. port
		cluster.reload { self = addr }
	end)

	T.case("register and query", function()
		cluster.register("echo", echo)
		T.ok(L.log_wait(string.format("Register [echo] :%08x", echo)), "register logged")
		T.eq(cluster.query("self", "echo"), echo, "queried handle")
		T.raises("call failed", cluster.query, "self", "nosuch")
	end)

	T.case("call by @name, .name, handle", function()
		local a, b, c = cluster.call("self", "@echo", "echo", 1, "two", { 3 })
		T.eq(a, 1, "first")
		T.eq(b, "two", "second")
		T.eq(c[1], 3, "table")
		T.eq(cluster.call("self", ".cecho", "echo", "local"), "local", ".name")
		T.eq(cluster.call("self", echo, "echo", "handle"), "handle", "handle")
		local n = select("#", cluster.call("self", "@echo", "echo", nil, 2, nil))
		T.eq(n, 3, "trailing nils kept")
	end)

	T.case("remote failures give call failed", function()
		T.raises("call failed", cluster.call, "self", "@echo", "fail")
		T.raises("call failed", cluster.call, "self", "@nosuch", "echo", 1)
		T.raises("call failed", cluster.call, "self", ".nosuch", "echo", 1)
		-- the connection survives all of that
		T.eq(cluster.call("self", "@echo", "echo", "after"), "after", "still usable")
	end)

	T.case("send keeps order with calls", function()
		for i = 1, 500 do
			cluster.send("self", "@echo", "push", i)
		end
		local got = cluster.call("self", "@echo", "pushed")
		T.eq(#got, 500, "count")
		for i = 1, 500 do
			T.eq(got[i], i, "push " .. i)
		end
	end)

	T.case("sends and calls queued before the sender exists keep their order", function()
		cluster.reload { self2 = addr }
		-- each fork sends 25 messages, then calls "count": it blocks on the
		-- unknown sender, so the next fork's sends queue behind that call
		local waits = {}
		for k = 1, 4 do
			waits[k] = L.spawn(function()
				for i = (k - 1) * 25 + 1, k * 25 do
					cluster.send("self2", "@echo", "push", i)
				end
				return cluster.call("self2", "@echo", "count")
			end)
		end
		for k = 1, 4 do
			local ok, n = waits[k](1000)
			T.ok(ok, tostring(n))
			T.eq(n, k * 25, "pushes seen by call " .. k)
		end
		local got = cluster.call("self2", "@echo", "pushed")
		T.eq(#got, 100, "count")
		for i = 1, 100 do
			T.eq(got[i], i, "push " .. i)
		end
	end)

	T.case("large request and response (> 64 KiB, multi-part both ways)", function()
		local big = string.rep("0123456789abcdef", 8192 + 3)	-- 128 KiB + 48
		T.eq(cluster.call("self", "@echo", "len", big), #big, "request size")
		local r = cluster.call("self", "@echo", "rep", "z", 200 * 1024 + 7)
		T.eq(#r, 200 * 1024 + 7, "response size")
		T.eq(r, string.rep("z", 200 * 1024 + 7), "response bytes")
		local back = cluster.call("self", "@echo", "echo", big)
		T.eq(back, big, "echoed")
		-- exactly at the split points
		for _, n in ipairs { 0x8000 - 16, 0x8000, 0x8000 + 1, 0x10000 } do
			local s = string.rep("q", n)
			T.eq(cluster.call("self", "@echo", "echo", s), s, "echo " .. n)
		end
	end)

	T.case("large send", function()
		-- multi-part messages go on the low-priority write queue (as
		-- upstream), so a later small message may overtake them
		local big = string.rep("s", 100 * 1024)
		cluster.send("self", "@echo", "push", big)
		cluster.send("self", "@echo", "push", "small")
		local got = {}
		for _ = 1, 500 do
			for _, v in ipairs(cluster.call("self", "@echo", "pushed")) do
				got[v] = true
			end
			if got[big] and got.small then
				break
			end
			skynet.sleep(1)
		end
		T.ok(got[big], "big push arrived")
		T.ok(got.small, "small push arrived")
	end)

	T.case("1000 concurrent calls, each gets its own answer", function()
		local waits = {}
		for i = 1, 1000 do
			waits[i] = L.spawn(cluster.call, "self", "@echo", "echo", i, string.rep("x", i % 97))
		end
		for i = 1, 1000 do
			local ok, v, pad = waits[i](1000)
			T.ok(ok, tostring(v))
			T.eq(v, i, "result " .. i)
			T.eq(pad, string.rep("x", i % 97), "payload " .. i)
		end
	end)

	T.case("slow and fast calls overlap on one connection", function()
		local slow = L.spawn(cluster.call, "self", "@echo", "sleep", 30, "slow")
		T.eq(cluster.call("self", "@echo", "echo", "fast"), "fast", "fast first")
		local ok, v = slow(1000)
		T.ok(ok, tostring(v))
		T.eq(v, "slow", "slow later")
	end)

	T.case("senders lists the node senders", function()
		local clusterd = skynet.uniqueservice("clusterd")
		local s = skynet.call(clusterd, "lua", "senders")
		T.ok(type(s.self) == "number", "sender of self")
		T.eq(cluster.get_sender("self"), s.self, "get_sender")
	end)

	T.case("unregister", function()
		local other = skynet.newservice("svc_cluster_echo")
		cluster.register("other", other)
		T.eq(cluster.call("self", "@other", "self"), other, "registered")
		cluster.unregister("other")
		T.raises("call failed", cluster.call, "self", "@other", "self")
		cluster.unregister("other")	-- unknown name: no error
		-- re-registering an address renames it
		cluster.register("other2", other)
		cluster.register("other3", other)
		T.raises("call failed", cluster.call, "self", "@other2", "self")
		T.eq(cluster.call("self", "@other3", "self"), other, "renamed")
		T.raises("call failed", skynet.call, skynet.uniqueservice("clusterd"), "lua", "register", "other3", echo)
	end)

	T.case("a peer that sends garbage is dropped, the node keeps serving", function()
		local port = tonumber(addr:match ":(%d+)$")
		-- a part of a multi-part request nobody announced: answered with an error
		local fd = assert(socket.open("127.0.0.1", port))
		local part = string.char(3) .. string.pack("<I4", 77) .. "orphan"
		socket.write(fd, string.pack(">s2", part))
		local len = socket.read(fd, 2)
		T.ok(len, "an answer")
		local body = socket.read(fd, string.unpack(">I2", len))
		local session, ok, text = core.unpackresponse(body)
		T.eq(session, 77, "session")
		T.eq(ok, false, "error response")
		T.eq(text, "Invalid large req", "error text")
		-- a name query (address 0) whose name does not decode
		local query = string.char(0) .. string.pack("<I4<I4", 0, 78) .. "\255\255"
		socket.write(fd, string.pack(">s2", query))
		len = socket.read(fd, 2)
		body = socket.read(fd, string.unpack(">I2", len))
		session, ok, text = core.unpackresponse(body)
		T.eq(session, 78, "query session")
		T.eq(ok, false, "query refused")
		T.eq(text, "name not found", "query error text")
		-- an unknown packet type: the connection is closed
		socket.write(fd, string.pack(">s2", string.char(0x55) .. string.rep("x", 20)))
		T.eq(socket.read(fd), false, "closed by the node")
		socket.close(fd)
		T.ok(L.log_wait("Drop cluster connection"), "drop logged")
		T.eq(cluster.call("self", "@echo", "echo", "alive"), "alive", "still serving")
	end)

	T.case("cluster.snax reaches a snax service by handle", function()
		if not skynet.getenv "snax" then
			skynet.setenv("snax", skynet.getenv "root" .. "test/scenario/?.lua")
		end
		local snax = require "skynet.snax"
		local local_obj = snax.newservice("svc_snax_counter")
		local obj = cluster.snax("self", "svc_snax_counter", local_obj.handle)
		obj.post.add(2)
		T.eq(obj.req.get(), 2)
		T.raises("request svc_snax_counter:nope no exist", function() return obj.req.nope end)
	end)

	T.done()
end)
