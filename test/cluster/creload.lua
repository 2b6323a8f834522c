-- Client node of reload.sh: the node map changes at run time, by
-- cluster.reload(table) and by cluster.reload() after the map file was
-- edited; nodes that are unknown (waiting or __nowaiting) or marked false.
local skynet = require "skynet"
local cluster = require "skynet.cluster"
local T = require "ctest"

local alpha = skynet.getenv "alpha_addr"
local gamma = skynet.getenv "gamma_addr"
local mapfile = skynet.getenv "cluster"

local function whoami(node)
	return cluster.call(node, "@echo", "whoami")
end

-- Wait (bounded) until calls to node reach `want`, then check the next few
-- calls do too.
local function reaches(node, want)
	local got, err = T.poll(function()
		return whoami(node) == want
	end)
	T.ok(got, string.format("%s never reached %s (%s)", node, want, tostring(err)))
	for i = 1, 5 do
		T.eq(whoami(node), want, "call " .. i .. " to " .. node)
	end
end

local function write_map(text)
	local f = assert(io.open(mapfile .. ".new", "wb"))
	f:write(text)
	f:close()
	assert(os.rename(mapfile .. ".new", mapfile))
end

-- fn() must raise within a second
local function fails_fast(what, fn, ...)
	local t0 = skynet.now()
	T.raises(fn, ...)
	T.ok(skynet.now() - t0 <= 100, what .. " took " .. (skynet.now() - t0) .. " cs")
end

local function cases()
	T.case("the map file is read at start", function()
		T.eq(whoami("db"), "alpha", "db")
		T.eq(whoami("alpha"), "alpha", "alpha")
		T.eq(whoami("gamma"), "gamma", "gamma")
	end)

	T.case("reload(table) moves a node and keeps the others", function()
		cluster.reload { db = gamma }
		reaches("db", "gamma")
		T.eq(whoami("alpha"), "alpha", "alpha unchanged")
	end)

	T.case("reload(table) adds a node", function()
		cluster.reload { extra = alpha }
		T.eq(whoami("extra"), "alpha", "new node")
		T.eq(whoami("db"), "gamma", "db unchanged")
	end)

	T.case("reload() re-reads the edited map file", function()
		write_map(string.format("db = %q\nalpha = %q\ngamma = %q\nmoved = %q\n", alpha, alpha, gamma, gamma))
		cluster.reload()
		reaches("db", "alpha")
		T.eq(whoami("moved"), "gamma", "node added by the file")
		T.eq(whoami("extra"), "alpha", "node absent from the file kept")
	end)

	T.case("a call to an unknown node waits for the reload that names it", function()
		local batch = T.start(1, function()
			return whoami("late")
		end)
		skynet.sleep(30)	-- nothing to await: the call must still be pending
		T.eq(batch.finished, 0, "finished before the node was known")
		cluster.reload { late = gamma }
		local res, finished = T.wait(batch, 500)
		T.eq(finished, 1, "finished after the reload")
		T.eq(res[1][1], true, "call succeeded: " .. tostring(res[1][2]))
		T.eq(res[1][2], "gamma", "answer")
	end)

	T.case("__nowaiting fails waiting calls and later calls to unknown nodes", function()
		local batch = T.start(1, function()
			return whoami("ghost1")
		end)
		skynet.sleep(30)
		T.eq(batch.finished, 0, "waiting before __nowaiting")
		cluster.reload { __nowaiting = true }
		local res, finished = T.wait(batch, 100)
		T.eq(finished, 1, "waiting call released within 1 s")
		T.eq(res[1][1], false, "waiting call failed")
		fails_fast("call to unknown node", whoami, "ghost2")
		T.eq(whoami("db"), "alpha", "known nodes still work")
		cluster.reload { __nowaiting = false }
	end)

	T.case("__nowaiting in the map file", function()
		write_map(string.format("__nowaiting = true\ndb = %q\nalpha = %q\ngamma = %q\n", alpha, alpha, gamma))
		cluster.reload()
		fails_fast("call to unknown node", whoami, "ghost3")
		T.eq(whoami("db"), "alpha", "known nodes still work")
	end)

	T.case("a node marked false fails calls and drops sends", function()
		cluster.call("alpha", "@echo", "pushed")	-- start from an empty list
		cluster.reload { db = false }
		fails_fast("call to a node marked false", whoami, "db")
		cluster.send("db", "@echo", "push", "dropped")
		T.eq(whoami("alpha"), "alpha", "other nodes unaffected")
		cluster.reload { db = alpha }
		reaches("db", "alpha")
		cluster.send("db", "@echo", "push", "after")
		local got = cluster.call("db", "@echo", "pushed")
		T.eq(#got, 1, "pushes received")
		T.eq(got[1], "after", "the send made while the node was up")
	end)

	T.case("a node false from the start", function()
		fails_fast("call to a node false in the file", whoami, "offline")
		cluster.send("offline", "@echo", "push", "nowhere")
		cluster.reload { offline = alpha }
		T.eq(whoami("offline"), "alpha", "node given an address")
		cluster.reload { offline = false }
		fails_fast("call after marking it false again", whoami, "offline")
	end)
end

skynet.start(function()
	skynet.fork(function()
		cases()
		T.done()
	end)
end)
