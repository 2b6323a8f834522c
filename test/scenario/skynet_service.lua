-- Launching, naming, killing services; the loader's view of a service.
local skynet = require "skynet.manager"
local T = require "testlib"
local L = require "svc_skynetlib"

local blocked_child

skynet.dispatch("lua", function(session, source, cmd, child)
	if cmd == "blocked" then
		-- the child's start function is blocked: it still serves messages
		blocked_child = { child = child, pong = skynet.call(child, "lua", "ping") }
		skynet.send(child, "lua", "go")
	end
end)

skynet.start(function()
	T.case("loader: SERVICE_NAME, SERVICE_PATH, string args split on spaces", function()
		local s = skynet.newservice("svc_skynet_service", "args", 1, 2.5, "a b")
		local info = skynet.call(s, "lua", "info")
		T.eq(info.name, "svc_skynet_service", "SERVICE_NAME")
		T.ok(info.path:match "test/scenario/$", "SERVICE_PATH: " .. tostring(info.path))
		T.eq(info.args.n, 5, "arg count")
		T.eq(info.types, "string,string,string,string,string", "arg types")
		T.eq(info.args[2], "1")
		T.eq(info.args[3], "2.5")
		T.eq(info.args[4], "a")
		T.eq(info.args[5], "b")
		T.eq(info.require_is_skynet, true, "require = skynet.require")
		T.eq(info.initmod, true, "module required from the main chunk")
	end)

	T.case("main chunk, then skynet.init functions in order, then start", function()
		local s = skynet.newservice("svc_skynet_service", "order")
		T.eq(skynet.call(s, "lua", "info").order, "main,modbody,init1,modinit,start")
	end)

	T.case("newservice returns after start; the blocked start still serves messages", function()
		local s = skynet.newservice("svc_skynet_service", "block", skynet.self())
		T.ok(blocked_child, "child reported while blocked")
		T.eq(blocked_child.child, s, "same service")
		T.eq(blocked_child.pong, "pong", "served a call while start blocked")
	end)

	T.case("start failure: newservice raises call failed, child logs init service failed", function()
		local ok, err = pcall(skynet.newservice, "svc_skynet_service", "fail")
		T.eq(ok, false)
		T.ok(tostring(err):find("call failed", 1, true), tostring(err))
		local line = L.log_find "init service failed: "
		T.ok(line, "init failure logged")
		T.ok(L.log_find "start-failed-5e1c", "with the error")
	end)

	T.case("exit inside start: newservice returns nil", function()
		local r = table.pack(skynet.newservice("svc_skynet_service", "exit"))
		T.eq(r[1], nil)
	end)

	T.case("missing service file: call failed, loader lists every attempt", function()
		T.raises("call failed", skynet.newservice, "svc_skynet_nosuchfile")
		local line = L.log_find "lua loader error"
		T.ok(line, "loader error logged")
		-- as upstream: the message carries the loader's position
		T.ok(line and line:find("lua loader error : [^ ]*loader%.lua:%d+: cannot open "), line)
		T.ok(L.log_find "service/svc_skynet_nosuchfile.lua", "tried service/")
		T.ok(L.log_find "test/scenario/svc_skynet_nosuchfile.lua", "tried test/scenario/")
		T.ok(L.log_find "examples/svc_skynet_nosuchfile.lua", "tried examples/")
	end)

	T.case("local names: register, name, localname", function()
		skynet.register ".skynet_service_me"
		T.eq(skynet.localname ".skynet_service_me", skynet.self())
		local s = skynet.newservice("svc_skynet_service", "named")
		skynet.name(".skynet_service_child", s)
		T.eq(skynet.localname ".skynet_service_child", s)
		T.eq(skynet.call(".skynet_service_child", "lua", "ping"), "pong", "call by name")
		T.eq(skynet.localname ".skynet_service_nosuch", nil)
	end)

	T.case("global names: name then call by name; bad names are refused", function()
		local s = skynet.newservice("svc_skynet_service", "global")
		skynet.name("SKYSVCGLOBAL", s)
		T.eq(skynet.call("SKYSVCGLOBAL", "lua", "ping"), "pong")
		T.eq(pcall(skynet.register, "NAMETOOLONGFORHARBOR"), false, "16+ chars")
		T.eq(pcall(skynet.register, "12345"), false, "numeric")
		T.eq(pcall(skynet.register, ":0000000a"), false, "address")
	end)

	T.case("uniqueservice: one instance; queryservice waits for it", function()
		local queried
		local token = {}
		skynet.fork(function()
			queried = skynet.queryservice "svc_skynet_callee"
			skynet.wakeup(token)
		end)
		skynet.yield()
		T.eq(queried, nil, "query blocks before launch")
		local a = skynet.uniqueservice "svc_skynet_callee"
		local b = skynet.uniqueservice("svc_skynet_callee", "ignored", "args")
		T.eq(a, b, "same instance")
		if not queried then
			skynet.wait(token)
		end
		T.eq(queried, a, "query result")
		T.eq(skynet.queryservice "svc_skynet_callee", a)
	end)

	T.case("launch starts a service without the launcher", function()
		local h = skynet.launch("snlua", "svc_skynet_service", "launched")
		T.eq(type(h), "number")
		T.eq(skynet.call(h, "lua", "ping"), "pong")
		T.eq(skynet.launch("nosuchmodule_xyz"), nil, "unknown module")
	end)

	T.case("kill by handle, by :hex and by .name", function()
		local a = skynet.newservice("svc_skynet_service", "k1")
		local b = skynet.newservice("svc_skynet_service", "k2")
		local c = skynet.newservice("svc_skynet_service", "k3")
		skynet.name(".skynet_service_k3", c)
		skynet.kill(a)
		skynet.kill(skynet.address(b))
		skynet.kill ".skynet_service_k3"
		for _, h in ipairs { a, b, c } do
			T.raises(string.format("call to invalid address :%08x", h), skynet.call, h, "lua", "ping")
		end
		T.ok(L.log_find(string.format("KILL :%x", a)), "kill logged")
	end)

	T.case("an exit monitor hears of every exit", function()
		local m = skynet.monitor "svc_skynet_monitor"
		T.eq(type(m), "number")
		local s = skynet.newservice("svc_skynet_service", "monitored")
		skynet.kill(s)
		L.eventually(function() return skynet.call(m, "lua", "dead", s) end, 300, "monitor told")
	end)

	T.case("setenv/getenv; setenv refuses an existing key", function()
		T.eq(skynet.getenv "skynet_service_key", nil)
		skynet.setenv("skynet_service_key", "v1")
		T.eq(skynet.getenv "skynet_service_key", "v1")
		T.raises("Can't setenv exist key : skynet_service_key", skynet.setenv, "skynet_service_key", "v2")
		T.eq(skynet.getenv "thread", "4", "config numbers come back as strings")
	end)

	T.case("self, address, harbor", function()
		local me = skynet.self()
		T.eq(type(me), "number")
		T.eq(skynet.address(me), string.format(":%08x", me))
		T.eq(skynet.address ".x", ".x")
		local id, remote = skynet.harbor(me)
		T.eq(id, 0)
		T.eq(remote, false)
	end)

	T.done()
end)
