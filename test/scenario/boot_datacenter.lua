-- skynet.datacenter against the DATACENTER service started by bootstrap.
local skynet = require "skynet"
local datacenter = require "skynet.datacenter"
local harbor = require "skynet.harbor"
local T = require "testlib"

-- Run f(...) in a fork; returns a function that waits for and returns
-- table.pack(pcall(f, ...)).
local function background(f, ...)
	local args = table.pack(...)
	local result
	local token = {}
	skynet.fork(function()
		result = table.pack(pcall(f, table.unpack(args, 1, args.n)))
		skynet.wakeup(token)
	end)
	return function()
		if not result then
			skynet.wait(token)
		end
		return result
	end, function()
		return result ~= nil
	end
end

-- A request to DATACENTER from this service is handled after every earlier one.
local function sync()
	datacenter.get "sync"
end

skynet.start(function()
	T.case("DATACENTER is registered by bootstrap", function()
		T.eq(type(harbor.queryname "DATACENTER"), "number")
	end)

	T.case("set returns the old value; get reads it back", function()
		T.eq(datacenter.set("a", 1), nil, "first set")
		T.eq(datacenter.set("a", 2), 1, "second set")
		T.eq(datacenter.get "a", 2, "get")
		T.eq(datacenter.get "missing", nil, "missing key")
	end)

	T.case("paths create interior tables; get of a node returns the subtree", function()
		datacenter.set("t", "x", "y", "deep")
		datacenter.set("t", "x", "z", 3)
		T.eq(datacenter.get("t", "x", "y"), "deep", "leaf")
		local sub = datacenter.get("t", "x")
		T.eq(sub.y, "deep", "subtree y")
		T.eq(sub.z, 3, "subtree z")
		T.eq(datacenter.get("t", "nope", "y"), nil, "missing interior node")
		T.eq(datacenter.get("t", "x", "y", "below leaf"), nil, "path below a leaf")
	end)

	T.case("set to nil removes a value", function()
		T.eq(datacenter.set("a", nil), 2, "old value")
		T.eq(datacenter.get "a", nil, "gone")
	end)

	T.case("wait returns an existing value at once", function()
		datacenter.set("ready", "yes")
		T.eq(datacenter.wait "ready", "yes")
	end)

	T.case("wait blocks until the value is set; every waiter wakes", function()
		local first, first_done = background(datacenter.wait, "later", "k")
		local second = background(datacenter.wait, "later", "k")
		skynet.yield()
		sync()
		T.ok(not first_done(), "still waiting")
		datacenter.set("later", "k", "v")
		T.eq(first()[2], "v", "first waiter")
		T.eq(second()[2], "v", "second waiter")
	end)

	T.case("overwriting does not wake a waiter on another key", function()
		local waiter, done = background(datacenter.wait, "w2")
		skynet.yield()
		datacenter.set("other", 1)
		datacenter.set("other", 2)
		sync()
		T.ok(not done(), "still waiting")
		datacenter.set("w2", false)
		T.eq(waiter()[2], false, "woken with false")
	end)

	T.case("wait on an interior node fails once a deeper key is set", function()
		local waiter = background(datacenter.wait, "branch")
		skynet.yield()
		sync()
		datacenter.set("branch", "leaf", "v")
		local r = waiter()
		T.eq(r[1], false, "wait failed")
		T.ok(tostring(r[2]):find("call failed", 1, true), "error: " .. tostring(r[2]))
		T.eq(datacenter.get("branch", "leaf"), "v", "value stored")
	end)

	T.done()
end)
