-- Client node of failure.sh: the serving node alpha is killed with kill -9
-- while calls are in flight, stays dead for a while, then is restarted on
-- the same port; later a caller of alpha is killed mid-call.
local skynet = require "skynet"
local cluster = require "skynet.cluster"
local T = require "ctest"

local function call(...)
	return cluster.call("alpha", "@echo", ...)
end

local HOLD_PROXY, HOLD_BIG, HOLD_SMALL = 2, 2, 20

local function cases()
	local proxy
	T.case("calls succeed before the kill", function()
		T.eq(call("whoami"), "alpha", "call")
		proxy = cluster.proxy("alpha@echo")
		T.eq(skynet.call(proxy, "lua", "whoami"), "alpha", "call through proxy")
	end)

	T.case("every call in flight fails within 1 s of kill -9", function()
		local total = HOLD_PROXY + HOLD_BIG + HOLD_SMALL
		local big = T.blob(1024 * 1024, 3)
		local batch = T.start(total, function(i)
			if i <= HOLD_PROXY then
				return skynet.call(proxy, "lua", "hold")
			elseif i <= HOLD_PROXY + HOLD_BIG then
				return call("hold", big)
			end
			return call("hold")
		end)
		-- once alpha holds all of them, the script answers with its pid; the
		-- kill is done here so that one clock times it
		local pid = tonumber(T.step("kill"))
		T.ok(pid and pid > 0, "alpha's pid from the script")
		os.execute("kill -9 " .. pid)
		local killed = skynet.now()
		local res, finished = T.wait(batch, 500)
		T.eq(finished, total, "calls finished within 5 s")
		local last = killed
		for i = 1, total do
			T.eq(res[i][1], false, "call " .. i .. " raised")
			last = math.max(last, res[i].t)
		end
		T.out(string.format("# the last call in flight failed %d cs after the kill", last - killed))
		T.ok(last - killed <= 100, string.format("last call ended %d cs after the kill", last - killed))
	end)

	T.case("calls to the dead node fail at once", function()
		for i = 1, 3 do
			local t0 = skynet.now()
			T.raises(call, "whoami")
			T.ok(skynet.now() - t0 <= 100, "call " .. i .. " took " .. (skynet.now() - t0) .. " cs")
		end
		local t0 = skynet.now()
		T.raises(skynet.call, proxy, "lua", "whoami")
		T.ok(skynet.now() - t0 <= 100, "proxy call took " .. (skynet.now() - t0) .. " cs")
		cluster.send("alpha", "@echo", "push", "sent while dead")
	end)

	T.case("calls succeed after a restart with no reload", function()
		T.step("restart")
		T.eq(call("whoami"), "alpha", "first call after the restart")
		T.eq(skynet.call(proxy, "lua", "whoami"), "alpha", "call through the old proxy")
		for i = 1, 10 do
			cluster.send("alpha", "@echo", "push", i)
		end
		local got = call("pushed")
		T.eq(#got, 10, "pushes after the restart (none replayed)")
		for i = 1, 10 do
			T.eq(got[i], i, "push " .. i)
		end
		local s = T.blob(300000, 4)
		T.ok(call("mirror", s) == s:reverse(), "large call")
	end)

	T.case("a caller killed mid-call does not disturb the callee", function()
		T.step("callerdead")
		-- alpha now answers 7 calls whose connection is gone
		T.eq(call("release", "too late"), 7, "calls held for the dead caller")
		T.eq(call("whoami"), "alpha", "still serving")
		local s = T.blob(100000, 8)
		T.ok(call("mirror", s) == s:reverse(), "large call")
	end)
end

skynet.start(function()
	skynet.fork(function()
		cases()
		T.done()
	end)
end)
