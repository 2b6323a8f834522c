-- The boot sequence of a single node, as the log file records it.
local skynet = require "skynet.manager"
local harbor = require "skynet.harbor"
local T = require "testlib"

local function read_log()
	local name = assert(skynet.getenv "logger", "the scenario config sets logger")
	local f = assert(io.open(name, "rb"))
	local text = f:read "*a"
	f:close()
	local lines = {}
	for addr, msg in text:gmatch "%[(:%x+)%] ([^\n]*)" do
		table.insert(lines, { addr = addr, msg = msg })
	end
	return lines
end

local function find_line(lines, addr, msg)
	for i, line in ipairs(lines) do
		if line.addr == addr and line.msg == msg then
			return i
		end
	end
end

-- Bootstrap exits only after this service's start function has returned,
-- so the checks run in a fork.
local function check()
	T.case("services are launched in upstream's order", function()
		local launches = {}
		for _, line in ipairs(read_log()) do
			if line.msg:find("^LAUNCH ") then
				table.insert(launches, line.addr .. " " .. line.msg)
			end
		end
		local expected = {
			":00000002 LAUNCH snlua bootstrap",
			":00000003 LAUNCH snlua launcher",
			":00000004 LAUNCH snlua cdummy",
			":00000005 LAUNCH harbor 0 4",
			":00000006 LAUNCH snlua datacenterd",
			":00000007 LAUNCH snlua service_mgr",
			":00000008 LAUNCH snlua boot_sequence",
		}
		for i, want in ipairs(expected) do
			T.eq(launches[i], want, "launch " .. i)
		end
	end)

	T.case("names set up during boot", function()
		T.eq(skynet.self(), 8, "start service handle")
		T.eq(skynet.localname ".launcher", 3, ".launcher")
		T.eq(skynet.localname ".cslave", 4, ".cslave")
		T.eq(skynet.localname ".service", 7, ".service")
		T.eq(harbor.queryname "DATACENTER", 6, "DATACENTER")
		T.eq(harbor.queryname "SERVICE", 7, "SERVICE")
		T.eq(skynet.getenv "standalone", "true", "standalone")
	end)

	T.case("the launcher lists what it launched", function()
		local list = skynet.call(".launcher", "lua", "LIST")
		T.eq(list[":00000004"], "snlua cdummy")
		T.eq(list[":00000006"], "snlua datacenterd")
		T.eq(list[":00000007"], "snlua service_mgr")
		T.eq(list[":00000008"], "snlua boot_sequence")
		local n = 0
		for _ in pairs(list) do
			n = n + 1
		end
		T.eq(n, 4, "nothing else")
	end)

	T.case("bootstrap exits once the start service is up", function()
		-- a debug LINK is never answered; it fails when bootstrap exits
		local ok = pcall(skynet.call, 2, "debug", "LINK")
		T.eq(ok, false, "bootstrap gone")
		T.raises("call to invalid address", skynet.call, 2, "debug", "PING")
		-- the logger writes asynchronously: give it up to 2 s
		local killed
		for _ = 1, 200 do
			local lines = read_log()
			killed = find_line(lines, ":00000002", "KILL self")
			if killed then
				T.ok(killed > find_line(lines, ":00000008", "LAUNCH snlua boot_sequence"), "after the start service")
				break
			end
			skynet.sleep(1)
		end
		T.ok(killed, "[:00000002] KILL self logged")
	end)

	T.done()
end

skynet.start(function()
	skynet.fork(check)
end)
