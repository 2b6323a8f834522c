-- Client node of basic.sh: calls, sends, names, proxies, large messages and
-- many concurrent calls against the serving nodes alpha and gamma; alpha also
-- calls back into this node (beta).
local skynet = require "skynet"
require "skynet.manager"
local cluster = require "skynet.cluster"
local T = require "ctest"

local function call(node, ...)
	return cluster.call(node, "@echo", ...)
end

local function pack(...)
	return { n = select("#", ...), ... }
end

local function cases()
	-- gamma is first reached by sends: they wait for its sender and must
	-- still arrive in order, before the call that follows them
	T.case("sends before the first call arrive in order", function()
		for i = 1, 100 do
			cluster.send("gamma", "@echo", "push", i)
		end
		local got = call("gamma", "pushed")
		T.eq(#got, 100, "pushes received")
		for i = 1, 100 do
			T.eq(got[i], i, "push " .. i)
		end
	end)

	T.case("call returns the remote values", function()
		T.eq(call("alpha", "whoami"), "alpha", "alpha")
		T.eq(call("gamma", "whoami"), "gamma", "gamma")
		local r = pack(call("alpha", "echo", 1, nil, "two", true, 2.5, { k = "v" }))
		T.eq(r.n, 6, "value count")
		T.eq(r[1], 1, "integer")
		T.eq(r[2], nil, "nil")
		T.eq(r[3], "two", "string")
		T.eq(r[4], true, "boolean")
		T.eq(r[5], 2.5, "real")
		T.eq(r[6].k, "v", "table")
		T.eq(select("#", call("alpha", "echo")), 0, "no values")
	end)

	T.case("sends on a live sender arrive in order", function()
		for i = 1, 200 do
			cluster.send("alpha", "@echo", "push", i)
		end
		local got = call("alpha", "pushed")
		T.eq(#got, 200, "pushes received")
		for i = 1, 200 do
			T.eq(got[i], i, "push " .. i)
		end
	end)

	local handle
	T.case("query returns the handle of a registered name", function()
		handle = cluster.query("alpha", "echo")
		T.eq(type(handle), "number", "handle type")
		T.eq(cluster.call("alpha", handle, "whoami"), "alpha", "call by handle")
		T.eq(cluster.call("alpha", ".echo", "whoami"), "alpha", "call by local name")
	end)

	T.case("query of an unknown name fails", function()
		T.raises(cluster.query, "alpha", "no_such_name")
		T.eq(call("alpha", "whoami"), "alpha", "still serving")
	end)

	T.case("calls to unknown names fail", function()
		T.raises(cluster.call, "alpha", "@no_such_name", "whoami")
		T.raises(cluster.call, "alpha", ".no_such_name", "whoami")
		T.eq(call("alpha", "whoami"), "alpha", "still serving")
	end)

	T.case("register and unregister at run time", function()
		T.raises(cluster.call, "alpha", "@late", "whoami")
		local h = call("alpha", "spawn_named", "late")
		T.eq(type(h), "number", "spawned handle")
		T.ok(h ~= handle, "a new service")
		T.eq(cluster.query("alpha", "late"), h, "query")
		T.eq(cluster.call("alpha", "@late", "whoami"), "alpha", "call by new name")
		T.eq(call("alpha", "unregister", "late"), true, "unregister")
		T.raises(cluster.call, "alpha", "@late", "whoami")
		T.raises(cluster.query, "alpha", "late")
		T.eq(cluster.call("alpha", h, "whoami"), "alpha", "still reachable by handle")
	end)

	T.case("a remote error fails the call only", function()
		local err = T.raises(call, "alpha", "fail", "deliberate")
		T.ok(#err > 0, "error text")
		T.eq(call("alpha", "whoami"), "alpha", "still serving")
	end)

	T.case("request and response over 64 KiB", function()
		for _, n in ipairs { 65535, 65536, 100000, 1024 * 1024 } do
			local s = T.blob(n, n)
			local r, len = call("alpha", "mirror", s)
			T.eq(len, n, "length seen remotely")
			T.ok(r == s:reverse(), "content of " .. n .. " bytes")
		end
	end)

	T.case("response over 64 KiB to a small request", function()
		local r = call("gamma", "make", 300000, 7)
		T.eq(#r, 300000, "length")
		T.ok(r == T.blob(300000, 7), "content")
	end)

	-- a multi-part message goes out on the low-priority socket queue (as
	-- upstream), so a small call made after it may overtake it
	T.case("send over 64 KiB", function()
		local s = T.blob(200000, 11)
		cluster.send("alpha", "@echo", "store", s)
		local got = T.poll(function()
			return call("alpha", "stored")
		end)
		T.ok(got, "large send arrived")
		T.eq(#got, #s, "length")
		T.ok(got == s, "content")
	end)

	T.case("proxy in every form", function()
		local p1 = cluster.proxy("alpha@echo")
		local p2 = cluster.proxy("alpha", "@echo")
		local p3 = cluster.proxy("alpha.echo")
		local p4 = cluster.proxy("alpha", handle)
		T.eq(p1, p2, "one proxy per node and name")
		T.ok(p3 ~= p1 and p4 ~= p1 and p4 ~= p3, "a proxy per address")
		for _, p in ipairs { p1, p3, p4 } do
			T.eq(skynet.call(p, "lua", "whoami"), "alpha", "call through proxy")
		end
		skynet.send(p1, "lua", "push", "via proxy")
		skynet.send(p3, "lua", "push", "via local name")
		local got = skynet.call(p1, "lua", "pushed")
		T.eq(#got, 2, "sends through proxies")
		T.eq(got[1], "via proxy", "first send")
		T.eq(got[2], "via local name", "second send")
		local s = T.blob(150000, 5)
		local r = skynet.call(p4, "lua", "mirror", s)
		T.ok(r == s:reverse(), "large call through proxy")
	end)

	T.case("1000 concurrent calls each get their own answer", function()
		local n = 1000
		local res, finished = T.parallel(n, function(i)
			local node = (i % 2 == 0) and "alpha" or "gamma"
			return node, call(node, "square", i, i % 7)
		end, 3000)
		T.eq(finished, n, "calls finished")
		for i = 1, n do
			local r = res[i]
			T.ok(r[1], "call " .. i .. " failed: " .. tostring(r[2]))
			T.eq(r[3], i, "echoed index")
			T.eq(r[4], i * i, "result of call " .. i)
			T.eq(r[5], r[2], "node of call " .. i)
		end
	end)

	T.case("the remote node calls and sends back", function()
		T.eq(call("alpha", "call", "beta", "@echo", "whoami"), "beta", "call back")
		local s = T.blob(120000, 9)
		local r = call("alpha", "call", "beta", "@echo", "mirror", s)
		T.ok(r == s:reverse(), "large call back")
		call("alpha", "send", "beta", "@echo", "push", "from alpha")
		local got = T.poll(function()
			local p = skynet.call(".echo", "lua", "pushed")
			return #p > 0 and p
		end)
		T.ok(got, "send from alpha arrived")
		T.eq(got[1], "from alpha", "pushed value")
	end)
end

skynet.start(function()
	local echo = skynet.newservice("cecho")
	skynet.name(".echo", echo)
	cluster.register("echo", echo)
	cluster.open(skynet.getenv "node_name")
	skynet.fork(function()
		cases()
		T.done()
	end)
end)
