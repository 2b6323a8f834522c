-- The debug protocol every skynet.lua service answers.
local skynet = require "skynet.manager"
local T = require "testlib"
local L = require "svc_skynetlib"

local function dbg(addr, ...)
	return skynet.call(addr, "debug", ...)
end

skynet.start(function()
	local callee = skynet.newservice "svc_skynet_callee"

	T.case("the debug commands load on the first debug message", function()
		T.eq(skynet.call(callee, "lua", "loaded", "skynet.debug"), false, "not loaded yet")
		T.eq(select("#", dbg(callee, "PING")), 0, "PING answers nothing")
		T.eq(skynet.call(callee, "lua", "loaded", "skynet.debug"), true, "loaded")
	end)

	T.case("MEM answers the Lua heap in KB", function()
		local kb = dbg(callee, "MEM")
		T.eq(type(kb), "number")
		T.ok(kb > 1 and kb < 10000, "plausible: " .. kb)
	end)

	T.case("STAT answers task, mqlen, cpu, message", function()
		local s = dbg(callee, "STAT")
		T.eq(type(s), "table")
		T.eq(s.task, 0, "task")
		T.eq(s.mqlen, 0, "mqlen")
		T.eq(type(s.cpu), "number", "cpu")
		T.ok(s.message >= 3, "message count " .. tostring(s.message))
	end)

	T.case("SUPPORT tells which protocols have a dispatch function", function()
		T.eq(dbg(callee, "SUPPORT", "lua"), true)
		T.eq(dbg(callee, "SUPPORT", "debug"), true)
		T.eq(dbg(callee, "SUPPORT", "response"), false)
		T.eq(dbg(callee, "SUPPORT", "nosuchproto"), false)
	end)

	T.case("INFO answers info_func's results, nil without one", function()
		T.eq(select("#", dbg(callee, "INFO")), 1)
		T.eq(dbg(callee, "INFO"), nil)
		skynet.call(callee, "lua", "set_info")
		local a, b, c = dbg(callee, "INFO", "x", 2)
		T.eq(a, "info")
		T.eq(b, "x")
		T.eq(c, 2)
	end)

	T.case("RUN executes code in the service with print captured, _U and _P", function()
		local ok, out = dbg(callee, "RUN", "print('injected', ...)", nil, "arg1")
		T.eq(ok, true)
		T.eq(out, "injected\targ1")
		ok, out = dbg(callee, "RUN", "print(_U.proto.lua.id) print(type(_P.lua.CMD))", "inj.lua")
		T.eq(ok, true)
		T.eq(out, "10\ntable")
		ok, out = dbg(callee, "RUN", "print('before') error('run-err')", "inj.lua")
		T.eq(ok, false)
		T.ok(out:find("^before\n"), "output before the error: " .. out)
		T.ok(out:find("inj.lua:1: run-err", 1, true), "error with chunk name: " .. out)
		ok, out = dbg(callee, "RUN", "this is not lua")
		T.eq(ok, false)
		T.ok(#out > 0, "syntax error reported")
	end)

	T.case("TASK, UNIQTASK and KILLTASK", function()
		local result
		skynet.fork(function()
			result = table.pack(pcall(skynet.call, callee, "lua", "sleep", 100000, "never"))
		end)
		local name
		L.eventually(function()
			for k in pairs(dbg(callee, "TASK")) do
				name = k
				return true
			end
		end, 300, "callee has a waiting task")
		T.ok(name:match "^thread: 0x%x+ session: %d+$", "TASK key " .. name)
		local session = tonumber(name:match "session: (%d+)$")
		T.ok(dbg(callee, "TASK", session):find("stack traceback", 1, true), "TASK(session)")
		T.eq(dbg(callee, "TASK", session + 100000), "No session")
		local uniq = dbg(callee, "UNIQTASK")
		local head = next(uniq)
		T.ok(head and head:match("^1\tsessions:%[" .. session .. "%]\n$"), "UNIQTASK " .. tostring(head))
		local thread = name:match "0x%x+"
		T.eq(select("#", dbg(callee, "KILLTASK", thread)), 0, "killed: empty answer")
		T.eq(dbg(callee, "KILLTASK", thread), "Not found")
		L.eventually(function() return result end, 300, "the killed request was answered")
		T.eq(result[1], false)
		T.ok(tostring(result[2]):find("call failed", 1, true), tostring(result[2]))
		T.ok(L.log_find("Kill thread: " .. thread), "kill logged")
	end)

	T.case("GC collects and logs, answering nothing", function()
		skynet.send(callee, "debug", "GC")
		local line = L.log_find "GC "
		T.ok(line and line:match "GC %d+%.%d%d Kb %-> %d+%.%d%d Kb, cost %d+%.%d%d sec", tostring(line))
	end)

	T.case("TRACELOG logs the change and answers", function()
		T.eq(select("#", dbg(callee, "TRACELOG", false)), 0)
		T.ok(L.log_find "Turn trace log false for lua", "logged")
		dbg(callee, "TRACELOG", "lua", nil)
		T.ok(L.log_find "Turn trace log nil for lua", "logged")
		T.raises("call failed", dbg, callee, "TRACELOG", "nosuchproto", true)
	end)

	T.case("TERM fails the service's calls to a vanished address", function()
		skynet.call(callee, "lua", "fork_call", "term", "SKYNOBODY", "x")
		skynet.sleep(10)
		T.eq(skynet.call(callee, "lua", "note", "term"), nil, "call to an unknown global name waits")
		skynet.send(callee, "debug", "TERM", "SKYNOBODY")
		local r = L.eventually(function() return skynet.call(callee, "lua", "note", "term") end)
		T.ok(r:find("call failed", 1, true), r)
	end)

	T.case("a registered extra command answers", function()
		skynet.call(callee, "lua", "reg_hello")
		T.eq(dbg(callee, "HELLO", "you"), "hello you")
	end)

	T.case("an unknown command makes the call fail", function()
		T.raises("call failed", dbg, callee, "NOSUCHCMD")
		T.eq(skynet.call(callee, "lua", "echo", "alive"), "alive")
	end)

	T.case("LINK answers only when the service exits; EXIT makes it exit", function()
		local victim = skynet.newservice "svc_skynet_callee"
		local link
		skynet.fork(function()
			link = table.pack(pcall(dbg, victim, "LINK"))
		end)
		skynet.sleep(10)
		T.eq(link, nil, "LINK waits")
		T.raises("call failed", dbg, victim, "EXIT")
		L.eventually(function() return link end, 300, "LINK answered")
		T.eq(link[1], false)
		T.ok(tostring(link[2]):find("call failed", 1, true))
		T.raises("call to invalid address", skynet.call, victim, "lua", "echo")
	end)

	T.done()
end)
