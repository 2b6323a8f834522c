-- fork, timeout, sleep, wait/wakeup, yield, killthread and task().
local skynet = require "skynet.manager"
local T = require "testlib"
local L = require "svc_skynetlib"

skynet.start(function()
	T.case("fork runs after the current thread suspends, in fork order, with its args", function()
		local order = {}
		skynet.fork(function() order[#order + 1] = "a" end)
		skynet.fork(function(x, y, z) order[#order + 1] = x .. tostring(y) .. z end, "b", nil, "c")
		local co = skynet.fork(function() order[#order + 1] = "d" end)
		T.eq(type(co), "thread", "fork returns the thread")
		order[#order + 1] = "main"
		skynet.yield()
		T.eq(table.concat(order, ","), "main,a,bnilc,d")
	end)

	T.case("forks created by forks run in the same turn", function()
		local order = {}
		skynet.fork(function()
			order[#order + 1] = 1
			skynet.fork(function() order[#order + 1] = 3 end)
		end)
		skynet.fork(function() order[#order + 1] = 2 end)
		skynet.yield()
		T.eq(table.concat(order, ","), "1,2,3")
	end)

	T.case("timeouts fire in time order, 0 before anything later", function()
		local order = {}
		local t0 = skynet.now()
		skynet.timeout(30, function() order[#order + 1] = "30" end)
		skynet.timeout(10, function() order[#order + 1] = "10" end)
		skynet.timeout(0, function() order[#order + 1] = "0" end)
		skynet.timeout(20, function() order[#order + 1] = "20" end)
		skynet.sleep(40)
		T.eq(table.concat(order, ","), "0,10,20,30")
		T.ok(skynet.now() - t0 >= 40, "slept at least 40cs")
	end)

	T.case("sleep returns nothing after its time and takes at least that long", function()
		local t0 = skynet.now()
		local r = table.pack(skynet.sleep(5))
		T.eq(r.n, 0, "no results")
		T.ok(skynet.now() - t0 >= 5, "elapsed")
	end)

	T.case("wakeup breaks a sleep: it returns BREAK at once", function()
		local co, r, t1
		local t0 = skynet.now()
		skynet.fork(function()
			co = coroutine.running()
			r = skynet.sleep(10000)
			t1 = skynet.now()
		end)
		skynet.yield()
		T.eq(skynet.wakeup(co), true, "wakeup accepted")
		skynet.yield()
		T.eq(r, "BREAK")
		T.ok(t1 - t0 < 100, "woke early")
		T.eq(skynet.wakeup(co), nil, "not sleeping any more")
	end)

	T.case("sleep with a token; a duplicate token is refused", function()
		local token = {}
		local r
		skynet.fork(function() r = skynet.sleep(10000, token) end)
		skynet.yield()
		T.raises("token duplicative", skynet.sleep, 1, token)
		T.raises("token duplicative", skynet.wait, token)
		-- the refused sleep must leave no timer behind to wake us early
		local t0 = skynet.now()
		skynet.sleep(5)
		T.ok(skynet.now() - t0 >= 5, "slept the whole time")
		skynet.wakeup(token)
		skynet.yield()
		T.eq(r, "BREAK")
	end)

	T.case("wait blocks until wakeup; wakeup of a non-waiting token returns nil", function()
		local token = {}
		local state = "before"
		skynet.fork(function()
			state = "waiting"
			local r = table.pack(skynet.wait(token))
			state = "woken " .. r.n
		end)
		skynet.yield()
		T.eq(state, "waiting")
		skynet.sleep(5)
		T.eq(state, "waiting", "still waiting")
		T.eq(skynet.wakeup(token), true)
		T.eq(state, "waiting", "woken only at the next suspend point")
		skynet.yield()
		T.eq(state, "woken 0")
		T.eq(skynet.wakeup(token), nil)
		T.eq(skynet.wakeup({}), nil)
	end)

	T.case("wakeups resume threads in the order they were woken", function()
		local order = {}
		local a, b = {}, {}
		skynet.fork(function() skynet.wait(a) order[#order + 1] = "a" end)
		skynet.fork(function() skynet.wait(b) order[#order + 1] = "b" end)
		skynet.yield()
		skynet.wakeup(b)
		skynet.wakeup(a)
		skynet.yield()
		T.eq(table.concat(order, ","), "b,a")
	end)

	T.case("yield lets other threads run", function()
		local ran = false
		skynet.fork(function() ran = true end)
		skynet.yield()
		T.eq(ran, true)
	end)

	T.case("an error in a fork is logged and does not stop the service", function()
		local after = false
		skynet.fork(function() error "fork-error-91" end)
		skynet.fork(function() after = true end)
		skynet.yield()
		T.eq(after, true, "later fork still runs")
		T.ok(L.log_find "fork-error-91", "error logged")
	end)

	T.case("task() counts waiting sessions; task(co) gives a thread's session", function()
		local base = skynet.task()
		local co = skynet.fork(function() skynet.sleep(10000) end)
		skynet.yield()
		T.eq(skynet.task(), base + 1)
		local session = skynet.task(co)
		T.eq(type(session), "number")
		T.ok(skynet.task(session):find("stack traceback", 1, true), "traceback of the session")
		T.eq(skynet.task(session + 100000), "No session")
		local t = {}
		skynet.task(t)
		local key = string.format("%s session: %d", tostring(co), session)
		T.ok(t[key], "task(t) keyed by thread and session")
		T.ok(skynet.task("init"):find("stack traceback", 1, true), "init thread (running the start function)")
		T.eq(skynet.killthread(co), co)
		T.eq(skynet.task(), base)
	end)

	T.case("uniqtask groups identical stacks", function()
		local cos = {}
		local function park() skynet.wait() end
		for i = 1, 3 do
			cos[i] = skynet.fork(park)
		end
		skynet.yield()
		local found
		for head in pairs(skynet.uniqtask()) do
			if head:match "^3\tsessions:%[%d+,%d+,%d+%]\n$" then
				found = head
			end
		end
		T.ok(found, "a group of 3")
		for i = 1, 3 do
			skynet.killthread(cos[i])
		end
	end)

	T.case("killthread removes a fork before it runs, or by name", function()
		local ran = false
		local co = skynet.fork(function() ran = true end)
		T.eq(skynet.killthread(co), co)
		skynet.yield()
		T.eq(ran, false, "killed fork never ran")
		local sleeper = skynet.fork(function() skynet.sleep(10000) ran = true end)
		skynet.yield()
		local name = tostring(sleeper):match "0x%x+"
		T.eq(skynet.killthread(name), sleeper, "killed by name")
		T.eq(skynet.killthread(name), nil, "gone")
		T.eq(skynet.killthread(coroutine.create(print)), nil, "unknown thread")
	end)

	T.case("trace_timeout records where a timeout was created", function()
		skynet.trace_timeout(true)
		local co = skynet.timeout(10000, function() end)
		local session = skynet.task(co)
		local tb = skynet.task(session)
		skynet.trace_timeout(false)
		T.ok(tb:match "^TIMER %d+%+10000 : ", "TIMER header: " .. tb)
		T.ok(tb:find("skynet_timer.lua", 1, true), "creation site")
		skynet.killthread(co)
	end)

	T.case("now/time/starttime/hpc are consistent", function()
		local st = skynet.starttime()
		T.ok(math.abs(st + skynet.now() / 100 - os.time()) < 5, "starttime + now ~ wall clock")
		T.ok(math.abs(skynet.time() - (st + skynet.now() / 100)) < 0.02, "time")
		local h1 = skynet.hpc()
		local h2 = skynet.hpc()
		T.ok(h2 >= h1, "hpc is monotonic")
	end)

	T.done()
end)
