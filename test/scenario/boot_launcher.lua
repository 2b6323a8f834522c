-- The launcher's commands, and how newservice reports launch failures.
local skynet = require "skynet.manager"
local core = require "skynet.core"
local T = require "testlib"

local function launcher(...)
	return skynet.call(".launcher", "lua", ...)
end

local function listed(addr)
	return launcher("LIST")[skynet.address(addr)]
end

skynet.start(function()
	local echo

	T.case("LAUNCH starts a service with its args and returns its handle", function()
		echo = launcher("LAUNCH", "snlua", "svc_boot_echo", "x", "y")
		T.eq(type(echo), "number", "handle")
		local a, b = skynet.call(echo, "lua", "args")
		T.eq(a, "x", "arg 1")
		T.eq(b, "y", "arg 2")
	end)

	T.case("LIST maps :address to module and args, only for launched services", function()
		local list = launcher("LIST")
		T.eq(list[skynet.address(echo)], "snlua svc_boot_echo x y", "echo")
		T.eq(list[skynet.address(skynet.self())], "snlua boot_launcher", "self")
		T.eq(list[":00000004"], "snlua cdummy", "cdummy")
		T.eq(list[":00000002"], nil, "bootstrap (started by C)")
		T.eq(list[":00000003"], nil, "launcher (started by skynet.launch)")
		T.eq(list[":00000005"], nil, "harbor (started by skynet.launch)")
	end)

	T.case("commands are case-insensitive", function()
		T.eq(launcher("list")[skynet.address(echo)], "snlua svc_boot_echo x y")
	end)

	T.case("unknown command replies {\"Unknown command\"}", function()
		local r = launcher("FROB", 1)
		T.eq(type(r), "table")
		T.eq(r[1], "Unknown command")
	end)

	T.case("STAT gives each service's debug STAT table", function()
		local s = launcher("STAT")[skynet.address(echo)]
		T.eq(type(s), "table", "stat")
		T.eq(type(s.cpu), "number", "cpu")
		T.eq(s.mqlen, 0, "mqlen")
		T.eq(s.task, 0, "task")
		T.ok(s.message >= 2, "message count")
	end)

	T.case("STAT(ti) reports TIMEOUT for a service that doesn't answer in time", function()
		skynet.send(echo, "lua", "spin", 100)
		local stat = launcher("STAT", 10)
		T.eq(stat[skynet.address(echo)], "TIMEOUT", "busy echo")
		T.eq(type(stat[skynet.address(skynet.self())]), "table", "self still answers")
		-- the late answer is dropped and the launcher keeps working
		T.eq(type(launcher("STAT")[skynet.address(echo)]), "table", "answers again")
	end)

	T.case("MEM formats '%.2f Kb (desc)'", function()
		local v = launcher("MEM")[skynet.address(echo)]
		T.ok(tostring(v):match "^%d+%.%d%d Kb %(snlua svc_boot_echo x y%)$", "format of " .. tostring(v))
	end)

	T.case("GC collects everywhere and answers like MEM", function()
		local v = launcher("GC", 300)[skynet.address(echo)]
		T.ok(tostring(v):match "^%d+%.%d%d Kb %(snlua svc_boot_echo x y%)$", "format of " .. tostring(v))
	end)

	T.case("STAT and MEM report ERROR for a service killed behind the launcher's back", function()
		local ghost = launcher("LAUNCH", "snlua", "svc_boot_echo", "ghost")
		core.command("KILL", skynet.address(ghost))
		T.eq(launcher("STAT")[skynet.address(ghost)], "ERROR", "stat")
		T.eq(launcher("MEM")[skynet.address(ghost)], "ERROR (snlua svc_boot_echo ghost)", "mem")
		-- REMOVE never replies; the next request is handled after it
		skynet.send(".launcher", "lua", "REMOVE", ghost, true)
		T.eq(listed(ghost), nil, "removed")
	end)

	T.case("KILL kills, forgets and describes the service", function()
		local victim = launcher("LAUNCH", "snlua", "svc_boot_echo", "victim")
		local r = launcher("KILL", victim)
		T.eq(r[skynet.address(victim)], "snlua svc_boot_echo victim", "description")
		T.eq(listed(victim), nil, "forgotten")
		T.raises("call to invalid address", skynet.call, victim, "lua", "args")
	end)

	T.case("KILL of a text address describes it as \"nil\" but still kills it", function()
		local victim = launcher("LAUNCH", "snlua", "svc_boot_echo", "victim2")
		local addr = skynet.address(victim)
		local r = launcher("KILL", addr)
		T.eq(r[addr], "nil", "description")
		T.raises("call to invalid address", skynet.call, victim, "lua", "args")
		T.eq(listed(victim), nil, "forgotten by REMOVE")
	end)

	T.case("QUERY finds the launch of a pending newservice; killing it fails the caller", function()
		local result
		local token = {}
		local co = skynet.fork(function()
			result = table.pack(pcall(skynet.newservice, "svc_boot_gated", "never"))
			skynet.wakeup(token)
		end)
		skynet.yield()	-- the fork has sent LAUNCH and waits for it
		local session = skynet.task(co)
		T.eq(type(session), "number", "session of the waiting fork")
		local pending = launcher("QUERY", session)
		T.eq(type(pending), "number", "address being launched")
		T.eq(listed(pending), "snlua svc_boot_gated never", "listed while launching")
		T.eq(launcher("QUERY", session + 1000), nil, "unknown session")
		skynet.kill(pending)
		if not result then
			skynet.wait(token)
		end
		T.eq(result[1], false, "newservice failed")
		T.ok(tostring(result[2]):find("call failed", 1, true), "error: " .. tostring(result[2]))
		T.eq(listed(pending), nil, "forgotten")
	end)

	T.case("newservice of a service that exits in its start returns nil", function()
		local r = table.pack(skynet.newservice "svc_boot_exit")
		T.eq(r[1], nil)
	end)

	T.case("newservice whose start raises fails with call failed and isn't listed", function()
		T.raises("call failed", skynet.newservice, "svc_boot_fail")
		for _, desc in pairs(launcher "LIST") do
			T.ok(not desc:find("svc_boot_fail", 1, true), "listed: " .. desc)
		end
	end)

	T.case("newservice of a missing file fails with call failed", function()
		T.raises("call failed", skynet.newservice, "svc_boot_no_such_file")
		for _, desc in pairs(launcher "LIST") do
			T.ok(not desc:find("no_such_file", 1, true), "listed: " .. desc)
		end
	end)

	T.case("LAUNCH of an unknown C module fails with call failed", function()
		T.raises("call failed", launcher, "LAUNCH", "no_such_module", "arg")
	end)

	T.case("LOGLAUNCH launches like LAUNCH", function()
		local h = launcher("LOGLAUNCH", "snlua", "svc_boot_echo", "logged")
		T.eq(listed(h), "snlua svc_boot_echo logged", "listed")
		T.eq(skynet.call(h, "lua", "args"), "logged", "args")
	end)

	T.case("dbg prints a launcher command's result and exits", function()
		T.eq(skynet.newservice("dbg", "LIST"), nil)
	end)

	T.done()
end)
