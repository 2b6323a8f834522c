-- The checks of the harbor process test (test/node/harbor.sh), run on the
-- master's node (harbor 1) against two slaves (harbors 2 and 3). Steps hand
-- control to the shell: kill harbor 3 with kill -9, restart harbor 2, send
-- garbage and a duplicate harbor id to the master port.
local skynet = require "skynet"
require "skynet.manager"
local harbor = require "skynet.harbor"
local T = require "ctest"

-- Run fn in its own coroutine; wait for it at most `limit` centiseconds.
-- Returns finished, ok, results...
local function bounded(limit, fn, ...)
	local batch = T.start(1, function()
		return fn()
	end)
	local results, finished = T.wait(batch, limit)
	if finished == 0 then
		return false
	end
	return true, table.unpack(results[1], 1, results[1].n)
end

local function harbor_of(addr)
	return (skynet.harbor(addr))
end

skynet.start(function()
	skynet.newservice "svc_harbor_node"

	T.case("slaves 2 and 3 connect (harbor.connect returns)", function()
		T.ok(bounded(3000, function() harbor.connect(2) harbor.connect(3) end), "connected")
	end)

	T.case("global names of other harbors: queryname and calls by name", function()
		local e2, e3 = harbor.queryname "ECHO2", harbor.queryname "ECHO3"
		T.eq(harbor_of(e2), 2, "ECHO2 lives on harbor 2")
		T.eq(harbor_of(e3), 3, "ECHO3 lives on harbor 3")
		local pong, id, x = skynet.call("ECHO2", "lua", "ping", "x")
		T.eq(pong, "pong") T.eq(id, 2, "answered by harbor 2") T.eq(x, "x")
		T.eq(select(2, skynet.call("ECHO3", "lua", "ping")), 3, "ECHO3 by name")
	end)

	T.case("calls and sends to remote addresses", function()
		local e2 = harbor.queryname "ECHO2"
		T.eq(select(2, skynet.call(e2, "lua", "ping")), 2, "call by address")
		for _ = 1, 10 do
			skynet.send(e2, "lua", "note")
		end
		T.eq(skynet.call(e2, "lua", "notes"), 10, "sends arrive before a later call")
		local big = T.blob(200000, 7)
		local _, _, back = skynet.call(e2, "lua", "ping", big)
		T.ok(back == big, "a 200 KB argument comes back unchanged")
	end)

	T.case("a slave calls another slave", function()
		local pong, id, x = skynet.call("ECHO2", "lua", "relay", "ECHO3", 33)
		T.eq(pong, "pong") T.eq(id, 3, "relayed to harbor 3") T.eq(x, 33)
	end)

	T.case("32 concurrent calls across harbors", function()
		local results, finished = T.parallel(32, function(i)
			return skynet.call(i % 2 == 0 and "ECHO2" or "ECHO3", "lua", "ping", i)
		end)
		T.eq(finished, 32, "finished")
		for i = 1, 32 do
			local r = results[i]
			T.ok(r[1], "call " .. i)
			T.eq(r[3], i % 2 == 0 and 2 or 3, "harbor of call " .. i)
			T.eq(r[4], i, "argument of call " .. i)
		end
	end)

	T.case("queryname and calls wait for a name registered later on a slave", function()
		local batch = T.start(2, function(i)
			if i == 1 then
				return harbor.queryname "LATE2"
			end
			return skynet.call("LATE2", "lua", "ping", "late")
		end)
		skynet.sleep(20)
		T.eq(batch.finished, 0, "still waiting")
		skynet.call("ECHO2", "lua", "register", "LATE2")
		local results, finished = T.wait(batch, 1000)
		T.eq(finished, 2, "finished")
		T.eq(harbor_of(results[1][2]), 2, "queryname")
		T.eq(results[2][4], "late", "queued call delivered")
	end)

	-- first multicast case: no multicastd knows another one yet
	T.case("multicast: a remote publish followed at once by delete reaches every subscriber", function()
		local here = skynet.newservice("svc_harbor_node", "anonymous")
		local e2, e3 = harbor.queryname "ECHO2", harbor.queryname "ECHO3"
		local c = skynet.call(e2, "lua", "mcnew")
		for _, s in ipairs { here, e2 } do
			skynet.call(s, "lua", "mcsub", c)
		end
		skynet.call(e3, "lua", "mcpubdel", c, "last words")
		for _, s in ipairs { e2, here } do
			local got = {}
			T.poll(function()
				for _, m in ipairs(skynet.call(s, "lua", "mcgot")) do
					got[#got + 1] = m
				end
				return #got >= 1
			end, 300)
			T.eq(#got, 1, "delivered on harbor " .. harbor_of(s))
		end
	end)

	T.case("multicast across harbors: channels owned by harbor 1 and 2", function()
		local e2, e3 = harbor.queryname "ECHO2", harbor.queryname "ECHO3"
		local subs = { skynet.newservice("svc_harbor_node", "anonymous"), e2, e3 }
		-- collect n messages from each subscriber (bounded)
		local function collect(n)
			local all = {}
			for i, s in ipairs(subs) do
				local got = {}
				T.poll(function()
					for _, m in ipairs(skynet.call(s, "lua", "mcgot")) do
						got[#got + 1] = m
					end
					return #got >= n
				end, 500)
				all[i] = got
			end
			return all
		end
		for _, owner in ipairs { 1, 2 } do
			local c = skynet.call(owner == 1 and subs[1] or e2, "lua", "mcnew")
			T.eq(c % 256, owner, "channel id carries the owner harbor")
			for _, s in ipairs(subs) do
				T.eq(skynet.call(s, "lua", "mcsub", c), true, "subscribed")
			end
			skynet.call(subs[1], "lua", "mcpub", c, "from 1", owner)
			skynet.call(e3, "lua", "mcpub", c, "from 3", owner)
			local all = collect(2)
			for i = 1, 3 do
				local got = all[i]
				T.eq(#got, 2, "subscriber " .. i .. " got both messages of channel " .. c)
				local from = {}
				for _, m in ipairs(got) do
					T.eq(m[1], c, "channel")
					from[m[3]] = m[2]
					T.eq(m[4], owner, "payload")
				end
				T.eq(from["from 1"], 1, "the source is the publisher (harbor 1)")
				T.eq(from["from 3"], 3, "the source is the publisher (harbor 3)")
			end
			skynet.call(e3, "lua", "mcunsub", c)
			skynet.call(e2, "lua", "mcpub", c, "after", owner)
			all = collect(1)
			T.eq(#all[1], 1, "harbor 1 still subscribed")
			T.eq(#all[2], 1, "harbor 2 still subscribed")
			skynet.sleep(20)
			T.eq(#skynet.call(e3, "lua", "mcgot"), 0, "harbor 3 unsubscribed")
		end
	end)

	T.case("harbor 3 killed: held calls fail at once, link returns, later calls fail", function()
		local e3 = harbor.queryname "ECHO3"
		local held = T.start(5, function()
			return skynet.call(e3, "lua", "hold")
		end)
		local link = T.start(1, function()
			harbor.link(3)
			return true
		end)
		T.step "kill3"
		local t0 = skynet.now()
		local results, finished = T.wait(held, 1000)
		T.eq(finished, 5, "held calls ended")
		for i = 1, 5 do
			T.eq(results[i][1], false, "held call " .. i .. " failed")
		end
		T.ok(skynet.now() - t0 < 500, "failed within 5 s")
		local _, linked = T.wait(link, 1000)
		T.eq(linked, 1, "harbor.link(3) returned")
		local finished2, ok = bounded(300, function()
			return skynet.call(e3, "lua", "ping")
		end)
		T.ok(finished2, "a new call ends at once")
		T.eq(ok, false, "a new call fails")
		local finished3, ok3 = bounded(300, function()
			return skynet.call("ECHO3", "lua", "ping")
		end)
		T.ok(finished3 and not ok3, "a call by name fails at once")
		T.eq(select(2, skynet.call("ECHO2", "lua", "ping")), 2, "harbor 2 still answers")
	end)

	T.case("harbor 2 restarted: link returns, connect returns, names work again", function()
		local link = T.start(1, function()
			harbor.link(2)
			return true
		end)
		T.step "restart2"
		local _, linked = T.wait(link, 1000)
		T.eq(linked, 1, "harbor.link(2) returned")
		T.ok(bounded(3000, function() harbor.connect(2) end), "harbor.connect(2) returned")
		local pong, err = T.poll(function()
			return (skynet.call("ECHO2", "lua", "ping"))
		end, 1000)
		T.eq(pong, "pong", "ECHO2 answers again (" .. tostring(err) .. ")")
		T.eq(select(2, skynet.call("ECHO2", "lua", "ping")), 2, "answered by the new harbor 2")
		T.eq(skynet.call("ECHO2", "lua", "notes"), 0, "a fresh service")
		local here = skynet.newservice("svc_harbor_node", "anonymous")
		local c = skynet.call(here, "lua", "mcnew")
		skynet.call("ECHO2", "lua", "mcsub", c)
		skynet.call(here, "lua", "mcpub", c, "again")
		local got = {}
		T.poll(function()
			for _, m in ipairs(skynet.call("ECHO2", "lua", "mcgot")) do
				got[#got + 1] = m
			end
			return #got >= 1
		end, 500)
		T.eq(#got, 1, "the restarted harbor 2 gets multicast from harbor 1")
	end)

	T.case("garbage and a duplicate harbor id on the master port are refused", function()
		T.step "refuse"
		T.eq(select(2, skynet.call("ECHO2", "lua", "ping")), 2, "harbor 2 still answers")
		T.eq(select(2, skynet.call("ECHO2", "lua", "relay", "ECHO1")), 1, "and calls back")
	end)

	T.done()
end)
