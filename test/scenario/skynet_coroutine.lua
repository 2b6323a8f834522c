-- skynet.coroutine: user coroutines that may block in skynet calls; and
-- skynet.require from threads.
local skynet = require "skynet.manager"
local coroutine = require "skynet.coroutine"
local T = require "testlib"
local L = require "svc_skynetlib"

skynet.start(function()
	local callee = skynet.newservice "svc_skynet_callee"

	T.case("yield/resume pass values; skynet calls inside are transparent", function()
		local co = coroutine.create(function(a)
			local b = coroutine.yield(a + 1)
			local echoed = skynet.call(callee, "lua", "echo", b)
			skynet.sleep(1)
			return echoed * 2, "end"
		end)
		local ok, v = coroutine.resume(co, 1)
		T.eq(ok, true)
		T.eq(v, 2)
		local ok2, v2, tail = coroutine.resume(co, 10)
		T.eq(ok2, true)
		T.eq(v2, 20)
		T.eq(tail, "end")
		T.eq(coroutine.status(co), "dead")
	end)

	T.case("status is 'blocked' while the framework holds it; resume is refused then", function()
		local co
		co = coroutine.create(function()
			skynet.sleep(10)
			return "done"
		end)
		local seen = {}
		skynet.fork(function()
			seen.status = coroutine.status(co)
			seen.resume = table.pack(coroutine.resume(co))
		end)
		local ok, r = coroutine.resume(co)
		T.eq(ok, true)
		T.eq(r, "done")
		T.eq(seen.status, "blocked")
		T.eq(seen.resume[1], false)
		T.eq(seen.resume[2], "cannot resume a skynet coroutine suspend by skynet framework")
	end)

	T.case("errors come back from resume", function()
		local co = coroutine.create(function() error "co-err" end)
		local ok, err = coroutine.resume(co)
		T.eq(ok, false)
		T.ok(tostring(err):find("co-err", 1, true))
		local ok2, err2 = coroutine.resume(co)
		T.eq(ok2, false)
		T.ok(tostring(err2):find("dead", 1, true), tostring(err2))
	end)

	T.case("resuming a plain coroutine is refused", function()
		local ok, err = coroutine.resume(_G.coroutine.create(function() end))
		T.eq(ok, false)
		T.eq(err, "cannot resume none skynet coroutine")
		local ok2, err2 = coroutine.resume(coroutine.running())
		T.eq(ok2, false, "the running skynet thread")
		T.eq(err2, "cannot resume none skynet coroutine")
	end)

	T.case("wrap; thread() tells skynet threads from coroutines", function()
		local root, is_root = coroutine.thread()
		T.eq(is_root, true)
		T.eq(root, coroutine.running())
		local f = coroutine.wrap(function()
			local r, flag = coroutine.thread()
			coroutine.yield(flag)
			skynet.sleep(1)
			return r
		end)
		T.eq(f(), false)
		T.eq(f(), root, "root skynet thread")
		local g = coroutine.wrap(function() error "wrap-err" end)
		T.raises("wrap-err", g)
	end)

	T.case("nested coroutines block through both levels", function()
		local inner = coroutine.wrap(function()
			coroutine.yield(skynet.call(callee, "lua", "echo", "inner"))
			return "inner done"
		end)
		local outer = coroutine.wrap(function()
			local a = inner()
			skynet.sleep(1)
			coroutine.yield(a)
			return inner()
		end)
		T.eq(outer(), "inner")
		T.eq(outer(), "inner done")
	end)

	T.case("close marks it dead; isyieldable", function()
		local co = coroutine.create(function() coroutine.yield() end)
		coroutine.resume(co)
		T.eq(coroutine.close(co), true)
		T.eq(coroutine.isyieldable(), true)
	end)

	T.case("yield of skynet.coroutine outside its resume is reported", function()
		local after = false
		skynet.fork(function() coroutine.yield "stray" end)
		skynet.fork(function() after = true end)
		skynet.yield()
		T.eq(after, true, "the service goes on")
		T.ok(L.log_find "Call skynet.coroutine.yield out of skynet.coroutine.resume", "logged")
	end)

	T.case("skynet.require from several threads loads a module once", function()
		local results = {}
		local token = {}
		for i = 1, 3 do
			skynet.fork(function()
				results[i] = require "svc_skynet_slowmod"
				if #results == 3 then
					skynet.wakeup(token)
				end
			end)
		end
		skynet.wait(token)
		T.eq(results[1], results[2])
		T.eq(results[2], results[3])
		T.eq(results[1].loads, 1, "module body ran once")
		T.eq(results[1].inited, true, "its skynet.init ran before waiters resumed")
	end)

	T.case("a module that fails: the loader gets the error, waiters 'require X failed'", function()
		local results = {}
		local token = {}
		for i = 1, 2 do
			skynet.fork(function()
				results[i] = table.pack(pcall(require, "svc_skynet_badmod"))
				if results[1] and results[2] then
					skynet.wakeup(token)
				end
			end)
		end
		skynet.wait(token)
		T.eq(results[1][1], false)
		T.ok(tostring(results[1][2]):find("badmod-body-failed", 1, true), tostring(results[1][2]))
		T.eq(results[2][1], false)
		T.ok(tostring(results[2][2]):find("require svc_skynet_badmod failed", 1, true), tostring(results[2][2]))
		T.eq(package.loaded.svc_skynet_badmod, nil, "not cached")
	end)

	T.case("a require cycle in a thread is reported", function()
		T.raises("circular dependency", require, "svc_skynet_cyc_a")
	end)

	T.done()
end)
