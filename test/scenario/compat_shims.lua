-- The Lua 5.3/5.4 shims as a service sees them: __gc on tables (while the
-- service runs and when it exits), coroutine.running in the main thread,
-- profile's resume in place of coroutine.resume, and the small modules.
local skynet = require "skynet"
local T = require "testlib"

local main_thread, main_ismain = coroutine.running()

local finalized = {}
local waiting

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, name)
		if cmd == "finalized" then
			finalized[#finalized + 1] = name
			if waiting then
				skynet.wakeup(waiting)
			end
		end
	end)

	-- Waits (at most 5 s) until `n` finalizer reports have arrived.
	local function await_finalized(n)
		local deadline = skynet.now() + 500
		while #finalized < n and skynet.now() < deadline do
			waiting = coroutine.running()
			skynet.timeout(deadline - skynet.now(), function() skynet.wakeup(waiting) end)
			skynet.wait(waiting)
			waiting = nil
		end
	end

	T.case("the main chunk runs in the main thread", function()
		T.eq(type(main_thread), "thread")
		T.eq(main_ismain, true)
		local _, ismain = coroutine.running()
		T.eq(ismain, false, "skynet.start's function runs in a coroutine")
	end)

	T.case("coroutine.resume and wrap are skynet.profile's", function()
		local profile = require "skynet.profile"
		T.ok(rawequal(coroutine.resume, profile.resume), "resume")
		T.ok(rawequal(coroutine.wrap, profile.wrap), "wrap")
		profile.start()
		local total = 0
		for i = 1, 100000 do total = total + i end
		T.ok(profile.stop() >= 0)
		T.eq(total, 5000050000)
	end)

	local watched = skynet.newservice("svc_compat_gc", skynet.self())

	T.case("__gc of a table fires when the table is collected", function()
		T.eq(skynet.call(watched, "lua", "drop"), "at exit")
		await_finalized(1)
		T.eq(finalized[1], "collected")
	end)

	T.case("__gc of a table still alive fires when its service exits", function()
		skynet.send(watched, "lua", "exit")
		await_finalized(2)
		T.eq(finalized[2], "at exit")
	end)

	T.case("skynet.memory.current reports this service's Lua heap", function()
		local memory = require "skynet.memory"
		local before = memory.current()
		local big = {}
		for i = 1, 100000 do big[i] = i end
		T.ok(memory.current() - before >= 500000, "grew with a 100000-slot array")
		T.eq(#big, 100000)
	end)

	T.case("string.pack, utf8 and math.tointeger are there", function()
		T.eq(string.pack(">s2", "hi"), "\0\2hi")
		T.eq(string.unpack("<I4", "\4\3\2\1"), 0x01020304)
		T.eq(utf8.char(0x20AC), "\xE2\x82\xAC")
		T.eq(math.tointeger(3), 3)
		T.eq(table.pack(1, nil).n, 2)
	end)

	T.done()
end)
