-- skynet.snax: services, method calls and sends, the "no exist" errors,
-- hotfix, profile, unique/query lookups, kill and exit.
local skynet = require "skynet"
local snax = require "skynet.snax"
local T = require "testlib"

local NAME = "svc_snax_counter"

local function is_alive(handle)
	return skynet.call(".launcher", "lua", "LIST")[skynet.address(handle)] ~= nil
end

skynet.start(function()
	skynet.setenv("snax", skynet.getenv "root" .. "test/scenario/?.lua")

	local obj
	T.case("newservice passes its arguments to init; req returns every result", function()
		obj = snax.newservice(NAME, "a", "b")
		T.eq(obj.req.started(), "a,b")
		local n, label = obj.req.get()
		T.eq(n, 0)
		T.eq(label, "counter")
	end)

	T.case("post sends in order; a later req sees the effects", function()
		T.eq(obj.post.add(2), nil, "post returns nothing")
		obj.post.add(3)
		T.eq(obj.req.get(), 5)
	end)

	T.case("object fields and tostring", function()
		T.eq(obj.type, NAME)
		T.eq(type(obj.handle), "number")
		T.eq(tostring(obj), string.format("[%s:%x]", NAME, obj.handle))
		T.eq(snax.bind(obj.handle, NAME), obj, "bind returns the cached object")
	end)

	T.case("unknown methods: post/request X:f no exist", function()
		T.raises("post " .. NAME .. ":nope no exist", function() return obj.post.nope end)
		T.raises("request " .. NAME .. ":nope no exist", function() return obj.req.nope end)
		T.raises("post " .. NAME .. ":get no exist", function() return obj.post.get end)
		T.raises("request " .. NAME .. ":add no exist", function() return obj.req.add end)
	end)

	T.case("an error in a response method fails the call", function()
		T.raises("call failed", obj.req.boom)
		T.eq(obj.req.get(), 5, "the service survives")
	end)

	T.case("snax.self inside the service", function()
		local h, t, s = obj.req.myself()
		T.eq(h, obj.handle)
		T.eq(t, NAME)
		T.eq(s, tostring(obj))
	end)

	T.case("interface lists the method ids", function()
		local t = snax.interface(NAME)
		T.eq(t.system.init, 1)
		T.eq(t.system.exit, 2)
		T.eq(t.system.hotfix, 3)
		T.eq(t.system.profile, 4)
		T.ok(t.accept.add and t.response.get, "ids")
		T.eq(t.accept.get, nil)
	end)

	T.case("hotfix replaces a method, joins upvalues, returns hotfix()", function()
		local r = snax.hotfix(obj, [[
local count
local label
function response.get()
	return count * 10, label .. "!"
end
function hotfix(v)
	local old = count
	count = v
	return old, "patched"
end
]], 7)
		T.eq(r, 5, "hotfix returns what the patch's hotfix returns")
		local n, label = obj.req.get()
		T.eq(n, 70, "patched method reads the joined upvalue")
		T.eq(label, "counter!")
		obj.post.add(1)
		T.eq(obj.req.get(), 80, "unpatched method shares the upvalue")
	end)

	T.case("hotfix errors: mismatch and syntax", function()
		T.raises("Patch mismatch response.nothere", snax.hotfix, obj, "function response.nothere() end")
		T.raises("patch", snax.hotfix, obj, "function response.get( end")
		T.eq(obj.req.get(), 80, "a failed patch changes nothing")
	end)

	T.case("profile_info and debug INFO count calls per method", function()
		local info = snax.profile_info(obj)
		T.ok(info.get.count >= 4, "get counted")
		T.eq(info.add.count, 3)
		T.eq(type(info.get.time), "number")
		local dinfo = skynet.call(obj.handle, "debug", "INFO")
		T.eq(dinfo.add.count, 3)
	end)

	T.case("enablecluster: methods reachable on the lua protocol by id", function()
		local t = snax.interface(NAME)
		T.eq(skynet.call(obj.handle, "lua", t.response.get), 80)
	end)

	T.case("kill runs exit and ends the service", function()
		local h = obj.handle
		snax.kill(obj, "bye")
		T.eq(is_alive(h), false)
	end)

	T.case("uniqueservice: one service; queryservice finds it", function()
		local a = snax.uniqueservice(NAME, "u")
		local b = snax.uniqueservice(NAME, "ignored")
		T.eq(a.handle, b.handle)
		T.eq(a.req.started(), "u")
		local q = snax.queryservice(NAME)
		T.eq(q.handle, a.handle)
	end)

	T.case("globalservice / queryglobal (harbor 0)", function()
		local g = snax.globalservice(NAME, "g")
		T.eq(g.req.started(), "g")
		T.eq(snax.queryglobal(NAME).handle, g.handle)
	end)

	T.case("snax.exit from inside a method", function()
		local o = snax.newservice(NAME)
		local h = o.handle
		o.post.quit("x")
		-- the exit is a call to itself: wait until the launcher drops it
		for _ = 1, 200 do
			if not is_alive(h) then break end
			skynet.sleep(1)
		end
		T.eq(is_alive(h), false)
	end)

	T.case("printf logs a formatted line", function()
		snax.printf("snax printf %d %s", 42, "ok")
	end)

	T.done()
end)
