-- skynet.call/send/ret/retpack/response and how failures reach the caller.
local skynet = require "skynet.manager"
local T = require "testlib"
local L = require "svc_skynetlib"

skynet.start(function()
	local callee = skynet.newservice "svc_skynet_callee"

	T.case("call returns every value, nil holes included", function()
		local r = table.pack(skynet.call(callee, "lua", "echo", 1, nil, "x", false))
		T.eq(r.n, 4, "count")
		T.eq(r[1], 1)
		T.eq(r[2], nil)
		T.eq(r[3], "x")
		T.eq(r[4], false)
	end)

	T.case("call to self is served by another thread of the same service", function()
		skynet.dispatch("lua", function(_, _, a, b)
			skynet.retpack(a * b)
		end)
		T.eq(skynet.call(skynet.self(), "lua", 6, 7), 42)
	end)

	T.case("send returns 0; sends from one service arrive in order", function()
		T.eq(skynet.send(callee, "lua", "send_note", "order", 1), 0, "send result")
		for i = 2, 50 do
			skynet.send(callee, "lua", "send_note", "order", i)
		end
		T.eq(skynet.call(callee, "lua", "note", "order"), 50)
		T.eq(skynet.call(callee, "lua", "note", "order_src"), skynet.self(), "source")
	end)

	T.case("send to an invalid address returns nil without error", function()
		T.eq(skynet.send(0xffff00, "lua", "x"), nil, "handle")
		T.eq(skynet.send(".nosuchname", "lua", "x"), nil, "name")
	end)

	T.case("call to an invalid address raises 'call to invalid address <addr>'", function()
		T.raises("call to invalid address :00ffff00", skynet.call, 0xffff00, "lua", "x")
		T.raises("call to invalid address .nosuchname", skynet.call, ".nosuchname", "lua", "x")
	end)

	T.case("handler error: caller gets 'call failed', callee logs the error", function()
		local ok, err = pcall(skynet.call, callee, "lua", "boom", "boom-7f3a")
		T.eq(ok, false)
		T.ok(tostring(err):find("skynet.lua:%d+: call failed$"), "error text: " .. tostring(err))
		local line = L.log_find "boom-7f3a"
		T.ok(line, "error logged")
		T.ok(line:find(string.format("lua call [%x to :%x", skynet.self(), callee), 1, true),
			"log names source and callee: " .. line)
		-- as upstream: the dispatcher and the suspend point each prefix their position
		T.ok(line:find("error : [^ ]*skynet%.lua:%d+: [^ ]*skynet%.lua:%d+: [^ ]*svc_skynet_callee%.lua:%d+: boom%-7f3a"),
			"error positions: " .. line)
	end)

	T.case("a second ret raises 'No session'; the first answer arrives", function()
		T.eq(skynet.call(callee, "lua", "twice"), "first")
		T.ok(skynet.call(callee, "lua", "note", "twice"):find("No session", 1, true), "second ret error")
	end)

	T.case("ret in a fork raises 'No session'", function()
		T.ok(skynet.call(callee, "lua", "ret_in_fork"):find("No session", 1, true))
	end)

	T.case("response() after ret asserts 'no session'", function()
		T.eq(skynet.call(callee, "lua", "response_after_ret"), "ret")
		T.ok(skynet.call(callee, "lua", "note", "response_after_ret"):find("no session", 1, true))
	end)

	T.case("context() gives the session and source of the request", function()
		local session, source = skynet.call(callee, "lua", "ctx")
		T.eq(type(session), "number")
		T.ok(session > 0, "session > 0")
		T.eq(source, skynet.self(), "source")
	end)

	T.case("response closure answers later, once; TEST reports pending", function()
		local got
		local token = {}
		skynet.fork(function()
			got = skynet.call(callee, "lua", "hold", "a")
			skynet.wakeup(token)
		end)
		L.eventually(function() return skynet.call(callee, "lua", "has", "a") end)
		T.eq(skynet.call(callee, "lua", "test", "a"), true, "TEST while pending")
		T.eq(skynet.call(callee, "lua", "release", "a", true, "late", 2), true, "delivered")
		T.eq(skynet.call(callee, "lua", "test", "a"), false, "TEST after answer")
		T.ok(skynet.call(callee, "lua", "note", "a_again"):find("Can't response more than once", 1, true),
			"second use")
		if got == nil then
			skynet.wait(token)
		end
		T.eq(got, "late")
	end)

	T.case("response(false) makes the call fail", function()
		local result
		local token = {}
		skynet.fork(function()
			result = table.pack(pcall(skynet.call, callee, "lua", "hold", "b"))
			skynet.wakeup(token)
		end)
		L.eventually(function() return skynet.call(callee, "lua", "has", "b") end)
		T.eq(skynet.call(callee, "lua", "release", "b", false), true, "error delivered")
		if not result then
			skynet.wait(token)
		end
		T.eq(result[1], false)
		T.ok(tostring(result[2]):find("call failed", 1, true), tostring(result[2]))
	end)

	T.case("response with a custom pack function", function()
		local token = {}
		local reply
		skynet.fork(function()
			-- a raw reply lives only until this message is done: copy it now
			reply = skynet.tostring(skynet.rawcall(callee, "lua", skynet.pack("hold_packed", "c")))
			skynet.wakeup(token)
		end)
		L.eventually(function() return skynet.call(callee, "lua", "has", "c") end)
		skynet.call(callee, "lua", "release", "c", true, "p", 3)
		if not reply then
			skynet.wait(token)
		end
		local a, b = skynet.unpack(reply)
		T.eq(a, "p")
		T.eq(b, 3)
	end)

	T.case("requester gone: response returns false and TEST turns false", function()
		local requester = skynet.newservice "svc_skynet_callee"
		skynet.call(requester, "lua", "fork_call", "r", callee, "hold", "d")
		L.eventually(function() return skynet.call(callee, "lua", "has", "d") end)
		T.eq(skynet.call(callee, "lua", "test", "d"), true, "pending while requester lives")
		T.raises("call failed", skynet.call, requester, "lua", "exit")
		L.eventually(function()
			return skynet.call(callee, "lua", "test", "d") == false
		end, 300, "TEST false after requester exit")
		T.eq(skynet.call(callee, "lua", "release", "d", true, "nobody"), false, "not delivered")
	end)

	T.case("handler returning without answering: caller hangs, callee logs a warning", function()
		T.ok(L.hangs(30, callee, "lua", "forget"), "caller hangs")
		local line = L.log_find "Maybe forgot response session"
		T.ok(line, "warning logged")
		T.ok(line:find(string.format("from :%08x : @", skynet.self()), 1, true), line)
		T.ok(line:find("svc_skynet_callee.lua:%d+$"), "names the handler: " .. line)
	end)

	T.case("ignoreret: caller hangs and no warning is logged", function()
		local before = L.log_count "Maybe forgot response session"
		T.ok(L.hangs(30, callee, "lua", "ignore"), "caller hangs")
		skynet.call(callee, "lua", "mark", "callee-mark-ignore")
		T.ok(L.log_find "callee-mark-ignore", "callee marker")
		T.eq(L.log_count "Maybe forgot response session", before, "no new warning")
	end)

	T.case("callee exiting while holding the request: call failed", function()
		local victim = skynet.newservice "svc_skynet_callee"
		T.raises("call failed", skynet.call, victim, "lua", "exit")
		-- and afterwards it is gone; a call racing its exit may still get "call failed"
		local gone = string.format("call to invalid address :%08x", victim)
		T.ok(L.eventually(function()
			local ok, err = pcall(skynet.call, victim, "lua", "echo")
			return not ok and tostring(err):find(gone, 1, true)
		end), "address released")
	end)

	T.case("callee exiting with a detached response: call failed", function()
		local victim = skynet.newservice "svc_skynet_callee"
		T.raises("call failed", skynet.call, victim, "lua", "hold_then_exit", "e")
	end)

	T.case("callee killed while holding the request: caller hangs", function()
		local victim = skynet.newservice "svc_skynet_callee"
		local result
		skynet.fork(function()
			result = table.pack(pcall(skynet.call, victim, "lua", "hold", "f"))
		end)
		L.eventually(function() return skynet.call(victim, "lua", "has", "f") end)
		skynet.kill(victim)
		skynet.sleep(30)
		T.eq(result, nil, "still waiting")
	end)

	T.case("rawcall and rawsend carry packed messages", function()
		local msg, sz = skynet.rawcall(callee, "lua", skynet.pack("echo", "raw", 5))
		T.eq(type(msg), "userdata", "msg is a pointer")
		-- the framework frees the reply buffer once this message is done
		local a, b = skynet.unpack(msg, sz)
		T.eq(a, "raw")
		T.eq(b, 5)
		T.eq(skynet.rawsend(callee, "lua", skynet.pack("send_note", "rawsend", 9)), 0)
		T.eq(skynet.call(callee, "lua", "note", "rawsend"), 9)
		T.raises("call to invalid address", skynet.rawcall, 0xffff00, "lua", skynet.pack("x"))
	end)

	T.case("redirect forges the source", function()
		local other = skynet.newservice "svc_skynet_callee"
		skynet.redirect(callee, other, "lua", 0, skynet.pack("send_note", "redir", 11))
		T.eq(skynet.call(callee, "lua", "note", "redir"), 11)
		T.eq(skynet.call(callee, "lua", "note", "redir_src"), other, "forged source")
	end)

	T.case("call with an unknown protocol name raises", function()
		T.eq(pcall(skynet.call, callee, "nosuchproto", 1), false)
		T.eq(pcall(skynet.send, callee, "nosuchproto", 1), false)
	end)

	T.done()
end)
