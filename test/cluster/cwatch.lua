-- Client node of reload.sh started with the config key `cluster_watch`: edits
-- of its map file take effect with no call to cluster.reload.
local skynet = require "skynet"
local cluster = require "skynet.cluster"
local T = require "ctest"

local alpha = skynet.getenv "alpha_addr"
local gamma = skynet.getenv "gamma_addr"
local mapfile = skynet.getenv "cluster"

local function whoami(node)
	return cluster.call(node, "@echo", "whoami")
end

local function write_map(text)
	local f = assert(io.open(mapfile .. ".new", "wb"))
	f:write(text)
	f:close()
	assert(os.rename(mapfile .. ".new", mapfile))
end

local function reaches(node, want)
	local got, err = T.poll(function()
		return whoami(node) == want
	end, 1000)
	T.ok(got, string.format("%s never reached %s (%s)", node, want, tostring(err)))
	for i = 1, 5 do
		T.eq(whoami(node), want, "call " .. i .. " to " .. node)
	end
end

local function cases()
	T.case("watch: the map file is read at start", function()
		T.eq(whoami("db"), "alpha", "db")
	end)

	T.case("watch: an edited map file is picked up", function()
		write_map(string.format("db = %q\nnewnode = %q\n", gamma, alpha))
		reaches("db", "gamma")
		T.eq(whoami("newnode"), "alpha", "node added by the edit")
	end)

	T.case("watch: a broken map file keeps the old map", function()
		write_map("db = = broken\n")
		-- nothing to await (a broken file changes nothing): look again after
		-- a few watch periods
		skynet.sleep(50)
		T.eq(whoami("db"), "gamma", "db unchanged")
		write_map(string.format("db = %q\n", alpha))
		reaches("db", "alpha")
	end)
end

skynet.start(function()
	skynet.fork(function()
		cases()
		T.done()
	end)
end)
