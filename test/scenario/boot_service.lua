-- skynet.service: services defined by a function, run in service_cell.
local skynet = require "skynet"
local service = require "skynet.service"
local datacenter = require "skynet.datacenter"
local T = require "testlib"

-- Main functions travel as bytecode, so they may only use globals.
local function greeter_main(greeting)
	local skynet = require "skynet"
	skynet.start(function()
		skynet.dispatch("lua", function(_, _, cmd, ...)
			if cmd == "hello" then
				skynet.retpack(greeting, ...)
			else
				error("unknown " .. tostring(cmd))
			end
		end)
	end)
end

local function slow_main()
	local skynet = require "skynet"
	local datacenter = require "skynet.datacenter"
	skynet.start(function()
		datacenter.set("gate", "slow started", true)
		datacenter.wait("gate", "slow cell")
		skynet.dispatch("lua", function()
			skynet.retpack "ready"
		end)
	end)
end

local function provider()
	return skynet.queryservice "service_provider"
end

skynet.start(function()
	local greeter

	T.case("new launches the function with its args and returns the address", function()
		greeter = service.new("greeter", greeter_main, "hi")
		T.eq(type(greeter), "number", "address")
		local g, who = skynet.call(greeter, "lua", "hello", "bob")
		T.eq(g, "hi", "arg passed to the main function")
		T.eq(who, "bob", "call argument")
	end)

	T.case("new of a running name returns it without relaunching", function()
		T.eq(service.new("greeter", greeter_main, "other"), greeter, "same address")
		T.eq(skynet.call(greeter, "lua", "hello"), "hi", "first args kept")
		T.eq(service.query "greeter", greeter, "query")
	end)

	T.case("the cell answers unknown requests with an error", function()
		T.raises("call failed", skynet.call, greeter, "lua", "nope")
	end)

	T.case("a main function with upvalues is refused", function()
		local captured = 1
		T.raises("upvalue", service.new, "captures", function()
			return captured
		end)
	end)

	T.case("a main function that raises fails new, and later new/query too", function()
		local function broken_main()
			error "broken cell"
		end
		T.raises("call failed", service.new, "broken", broken_main)
		T.raises("call failed", service.new, "broken", broken_main)
		T.raises("call failed", service.query, "broken")
	end)

	T.case("query and new wait while the service boots", function()
		local results = {}
		local left = 3
		local token = {}
		local function run(i, f, ...)
			local args = table.pack(...)
			skynet.fork(function()
				results[i] = table.pack(pcall(f, table.unpack(args, 1, args.n)))
				left = left - 1
				if left == 0 then
					skynet.wakeup(token)
				end
			end)
		end
		run(1, service.new, "slow", slow_main)
		datacenter.wait("gate", "slow started")
		local addr, booting = skynet.call(provider(), "lua", "test", "slow")
		T.eq(addr, nil, "no address while booting")
		T.eq(booting, true, "booting")
		run(2, service.query, "slow")
		run(3, service.new, "slow", slow_main)
		skynet.yield()
		-- a request from here is handled after the forks' earlier ones; the
		-- second covers the query that new sends after its test
		skynet.call(provider(), "lua", "test", "slow")
		skynet.call(provider(), "lua", "test", "slow")
		T.eq(left, 3, "all blocked")
		datacenter.set("gate", "slow cell", true)
		if left > 0 then
			skynet.wait(token)
		end
		for i = 1, 3 do
			T.eq(results[i][1], true, "request " .. i)
			T.eq(results[i][2], results[1][2], "same address " .. i)
		end
		T.eq(skynet.call(results[1][2], "lua", "anything"), "ready", "slow cell works")
	end)

	T.case("provider INFO lists the cells", function()
		local info = skynet.call(provider(), "debug", "INFO")
		local entry = info[skynet.address(greeter)]
		T.eq(type(entry), "table", "greeter listed")
		T.eq(entry.name, "greeter", "name")
		T.eq(entry.init, "hi", "init args")
		T.eq(type(entry.time), "string", "boot time")
	end)

	T.case("close kills the service; a later new starts a fresh one", function()
		T.eq(service.close "greeter", true, "closed")
		T.raises("call to invalid address", skynet.call, greeter, "lua", "hello")
		T.eq(service.close "greeter", false, "already closed")
		local again = service.new("greeter", greeter_main, "again")
		T.ok(again ~= greeter, "new address")
		T.eq(skynet.call(again, "lua", "hello"), "again", "new args")
	end)

	T.case("close of an unknown name returns false", function()
		T.eq(service.close "never_started", false)
	end)

	T.done()
end)
