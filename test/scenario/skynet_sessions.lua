-- Session bookkeeping under load: many calls in flight at once, answers out
-- of order, sessions that stay pending while hundreds of newer ones come and
-- go, and the things that walk every pending session (task, killthread, a
-- callee's exit). Also profile timing of threads that skynet itself resumes.
local skynet = require "skynet.manager"
local T = require "testlib"

local profile = require "skynet.profile"

-- run n forks of f(i); returns when all have finished
local function fan_out(n, f)
	local me = coroutine.running()
	local left = n
	for i = 1, n do
		skynet.fork(function()
			f(i)
			left = left - 1
			if left == 0 then
				skynet.wakeup(me)
			end
		end)
	end
	skynet.wait(me)
end

-- poll the callee until `cond` holds (bounded)
local function until_true(cond, what)
	for _ = 1, 500 do
		if cond() then
			return
		end
		skynet.yield()
	end
	error("timed out waiting for " .. what)
end

-- Forks n calls that the callee holds ("hold", prefix .. i) and returns once
-- it holds them all: their outcomes ("answered" or "call failed", by i) and a
-- function that waits until every call has returned.
local function held_calls(victim, prefix, n)
	local results, left, waiter = {}, n, nil
	for i = 1, n do
		skynet.fork(function()
			local ok, err = pcall(skynet.call, victim, "lua", "hold", prefix .. i)
			results[i] = ok and "answered" or tostring(err):match "call failed$"
			left = left - 1
			if left == 0 and waiter then
				skynet.wakeup(waiter)
			end
		end)
	end
	until_true(function() return skynet.call(victim, "lua", "has", prefix .. n) end, "all held")
	return results, function()
		if left > 0 then
			waiter = coroutine.running()
			skynet.wait(waiter)
		end
	end
end

skynet.start(function()
	local callee = skynet.newservice "svc_skynet_callee"

	T.case("300 calls in flight, answered in reverse order, each gets its own answer", function()
		local n = 300
		local got = {}
		local me = coroutine.running()
		local left = n
		for i = 1, n do
			skynet.fork(function()
				got[i] = skynet.call(callee, "lua", "hold", "r" .. i)
				left = left - 1
				if left == 0 then
					skynet.wakeup(me)
				end
			end)
		end
		until_true(function() return skynet.call(callee, "lua", "has", "r" .. n) end, "all held")
		for i = n, 1, -1 do
			T.eq(skynet.call(callee, "lua", "release", "r" .. i, true, i * 10), true, "delivered " .. i)
		end
		if left > 0 then
			skynet.wait(me)
		end
		for i = 1, n do
			T.eq(got[i], i * 10, "answer of call " .. i)
		end
	end)

	T.case("a pending sleep survives many newer sessions; wakeup still breaks it", function()
		local sleeper
		local result = "pending"
		skynet.fork(function()
			sleeper = coroutine.running()
			result = skynet.sleep(100000)
		end)
		skynet.yield()
		for i = 1, 2000 do
			T.eq(skynet.call(callee, "lua", "echo", i), i)
		end
		fan_out(64, function(i)
			for j = 1, 20 do
				T.eq(skynet.call(callee, "lua", "echo", i, j), i)
			end
		end)
		T.eq(result, "pending", "still asleep")
		T.eq(skynet.task(), 1, "one pending session")
		T.eq(skynet.wakeup(sleeper), true)
		until_true(function() return result ~= "pending" end, "the sleeper")
		T.eq(result, "BREAK")
	end)

	T.case("task counts and lists every pending call; killthread ends one", function()
		local n = 40
		local outcome = {}
		local threads = {}
		for i = 1, n do
			skynet.fork(function()
				threads[i] = coroutine.running()
				local ok, v = pcall(skynet.call, callee, "lua", "hold", "k" .. i)
				outcome[i] = ok and v or "failed"
			end)
		end
		until_true(function() return skynet.call(callee, "lua", "has", "k" .. n) end, "all held")
		T.eq(skynet.task(), n, "count")
		local list = {}
		skynet.task(list)
		local listed = 0
		for _, stack in pairs(list) do
			-- the broken sleep of the previous case is listed as BREAK
			if stack ~= "BREAK" then
				listed = listed + 1
			end
		end
		T.eq(listed, n, "listed")
		local session = skynet.task(threads[7])
		T.eq(type(session), "number", "session of a waiting thread")
		T.ok(skynet.task(session):find("traceback", 1, true), "stack by session")
		T.eq(skynet.killthread(threads[7]), threads[7], "killed")
		T.eq(skynet.task(), n - 1, "count after kill")
		-- the killed thread's answer still comes and is dropped quietly
		for i = 1, n do
			skynet.call(callee, "lua", "release", "k" .. i, true, i)
		end
		until_true(function() return outcome[n] ~= nil end, "answers")
		for i = 1, n do
			if i == 7 then
				T.eq(outcome[i], nil, "killed thread never resumed")
			else
				T.eq(outcome[i], i, "answer " .. i)
			end
		end
		T.eq(skynet.task(), 0, "nothing left")
	end)

	T.case("callee exits with 50 calls pending: each fails with 'call failed'", function()
		local victim = skynet.newservice "svc_skynet_callee"
		local errors, all_returned = held_calls(victim, "x", 50)
		skynet.send(victim, "lua", "exit")
		all_returned()
		for i = 1, 50 do
			T.eq(errors[i], "call failed", "call " .. i)
		end
		T.eq(skynet.task(), 0, "nothing left")
	end)

	T.case("term fails our pending calls to a live service", function()
		local victim = skynet.newservice "svc_skynet_callee"
		local result, all_returned = held_calls(victim, "t", 3)
		skynet.term(victim)
		all_returned()
		for i = 1, 3 do
			T.eq(result[i], "call failed", "call " .. i)
		end
		T.eq(skynet.task(), 0, "nothing left")
		-- its late error replies for those sessions are ignored
		skynet.send(victim, "lua", "exit")
		T.eq(skynet.call(callee, "lua", "echo", "still fine"), "still fine")
	end)

	T.case("a failed call names the caller's line", function()
		local ok, err = pcall(skynet.call, 0xffff00, "lua", "x")
		T.eq(ok, false)
		T.ok(tostring(err):find("^call to invalid address :00ffff00"), "pcall'd directly: " .. tostring(err))
		ok, err = pcall(function()
			local r = skynet.rawcall(0xffff00, "lua", skynet.pack "x")
			return r
		end)
		T.ok(tostring(err):find("skynet_sessions.lua:%d+: call to invalid address :00ffff00"), "rawcall: " .. tostring(err))
		ok, err = pcall(function()
			local r = skynet.call(".nosuchname", "lua", "x")
			return r
		end)
		T.ok(tostring(err):find("skynet_sessions.lua:%d+: call to invalid address .nosuchname"), "call: " .. tostring(err))
	end)

	T.case("the rarely used queries (loaded on first use) answer", function()
		T.eq(type(skynet.stat "mqlen"), "number", "stat mqlen")
		T.eq(type(skynet.stat "message"), "number", "stat message")
		T.eq(type(skynet.mqlen()), "number", "mqlen")
		T.eq(skynet.endless(), false, "endless")
		T.eq(skynet.localname ".launcher", skynet.localname ".launcher", "localname")
		T.eq(type(skynet.localname ".launcher"), "number", "localname type")
		T.eq(skynet.localname ".no_such_name", nil, "unknown name")
		local harbor, remote = skynet.harbor(skynet.self())
		T.eq(harbor, 0, "harbor")
		T.eq(remote, false, "remote")
	end)

	T.case("parts loaded on first use load even after package.path is emptied", function()
		local s = skynet.newservice "svc_skynet_nopath"
		T.eq(skynet.call(s, "lua", "stat"), "number", "skynet.stat")
		local ok, err = pcall(skynet.call, s, "lua", "exit")
		T.eq(ok, false, "exit answers the pending call with an error")
		T.ok(tostring(err):find("call failed$"), tostring(err))
		T.eq(skynet.send(s, "lua", "stat"), nil, "the service is gone")
	end)

	T.case("request with 100 calls and a timeout", function()
		local req = skynet.request()
		for i = 1, 100 do
			req:add { callee, "lua", "echo", i }
		end
		local seen = 0
		for r, resp in req:select(1000) do
			T.eq(resp[1], r[4], "answer")
			seen = seen + 1
		end
		T.eq(seen, 100, "answers")
		T.eq(skynet.task(), 0, "nothing left")
	end)

	T.case("profile times a thread across calls that skynet resumes", function()
		local spent
		fan_out(1, function()
			profile.start()
			for i = 1, 50 do
				skynet.call(callee, "lua", "echo", i)
				local t = os.clock()
				while os.clock() - t < 0.0005 do end
			end
			spent = profile.stop()
		end)
		T.ok(spent > 0.01, "counted the busy loops: " .. tostring(spent))
		-- busy before the first yield: the thread started profiling while
		-- nothing else was profiled
		fan_out(1, function()
			profile.start()
			local t = os.clock()
			while os.clock() - t < 0.03 do end
			skynet.call(callee, "lua", "echo", 1)
			spent = profile.stop()
		end)
		T.ok(spent > 0.02, "counted the time before the first yield: " .. tostring(spent))
		T.raises("Call profile.start() before profile.stop()", profile.stop)
		local co = coroutine.create(function() end)
		coroutine.resume(co)
		local ok, err = coroutine.resume(co)
		T.eq(ok, false)
		T.eq(err, "cannot resume dead coroutine")
	end)

	T.done()
end)
