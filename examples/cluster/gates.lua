-- The gate node: talks to the db node through the cluster, then changes the
-- node map at run time and finally calls itself through the cluster.
local skynet = require "skynet"
local cluster = require "skynet.cluster"

-- The db node may still be starting: try for a few seconds.
local function wait_for_db()
	for _ = 1, 50 do
		local ok, v = pcall(cluster.call, "db", "@sdb", "GET", "a")
		if ok then
			return v
		end
		skynet.sleep(10)
	end
	error("the db node (examples/cluster/config_db) does not answer")
end

skynet.start(function()
	-- this service answers "hello" calls, from this node or others
	skynet.dispatch("lua", function(_, _, cmd, who)
		assert(cmd == "hello", cmd)
		skynet.retpack("hello " .. tostring(who) .. " from gate")
	end)
	cluster.register("gates")
	cluster.open("gate")

	print("GET a", wait_for_db())

	-- a local stand-in for @sdb on node db: plain skynet.call/send work on it
	local sdb = cluster.proxy("db", "@sdb")
	print("SET c", skynet.call(sdb, "lua", "SET", "c", "from gate"))
	print("GET c", skynet.call(sdb, "lua", "GET", "c"))
	-- big keys and values travel in 32 KiB parts
	local key = string.rep("K", 128 * 1024)
	local value = string.rep("V", 100 * 1024)
	skynet.call(sdb, "lua", "SET", key, value)
	print("GET large", skynet.call(sdb, "lua", "GET", key) == value)
	skynet.send(sdb, "lua", "PING", "proxy")

	-- the same store, by cluster name and by the service's own name
	print("cluster.call GET c", cluster.call("db", "@sdb", "GET", "c"))
	print("cluster.call SIMPLEDB GET b", cluster.call("db", "SIMPLEDB", "GET", "b"))
	cluster.send("db", "@sdb", "PING", "cluster.send")

	-- node db goes down, the same process comes back under the name db1
	cluster.reload { db = false, db1 = "127.0.0.1:7102" }
	print("db is down", pcall(cluster.call, "db", "@sdb", "GET", "a"))
	print("db1 GET a", cluster.call("db1", "@sdb", "GET", "a"))

	-- and this node calls itself through the cluster
	print("gate to itself", cluster.call("gate", "@gates", "hello", "gate"))
	print("gates done")
end)
