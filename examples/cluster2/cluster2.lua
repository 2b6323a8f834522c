-- c2: large values through a proxy, traced cluster calls, a send, and a
-- node map that changes while running.
local skynet = require "skynet"
local cluster = require "skynet.cluster"

skynet.start(function()
	local proxy = cluster.proxy "db@sdb"	-- the same as cluster.proxy("db", "@sdb")
	local largekey = string.rep("X", 128 * 1024)
	local largevalue = string.rep("R", 100 * 1024)
	skynet.call(proxy, "lua", "SET", largekey, largevalue)
	local v = skynet.call(proxy, "lua", "GET", largekey)
	assert(largevalue == v, "large value changed on the way")
	print("large SET/GET through the proxy ok")
	skynet.send(proxy, "lua", "PING", "proxy")

	skynet.fork(function()
		skynet.trace("cluster")	-- both nodes log this call's trace tag
		print(cluster.call("db", "@sdb", "GET", "a"))
		print(cluster.call("db2", "@sdb", "GET", "b"))
		cluster.send("db2", "@sdb", "PING", "db2:longstring" .. largevalue)
	end)

	skynet.timeout(300, function()
		cluster.reload {
			db = false,	-- db is down
			db3 = "127.0.0.1:2529",
		}
		print(pcall(cluster.call, "db", "@sdb", "GET", "a"))	-- fails: db is down
	end)
	-- wait for node db3: it appears in the map at the reload above
	cluster.reload { __nowaiting = false }
	print(cluster.call("db3", "@sdb", "GET", "a"))
end)
