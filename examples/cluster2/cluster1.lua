-- c1: one simpledb, registered as "sdb", reachable as nodes db and db2.
local skynet = require "skynet"
local cluster = require "skynet.cluster"

skynet.start(function()
	cluster.reload {
		db = "127.0.0.1:2528",
		db2 = "127.0.0.1:2529",
	}
	local sdb = skynet.newservice("simpledb")
	-- a cluster name: other nodes call it as "@sdb" (or cluster.query it)
	cluster.register("sdb", sdb)
	cluster.unregister("sdb")
	cluster.register("sdb", sdb)

	print(skynet.call(sdb, "lua", "SET", "a", "foobar"))
	print(skynet.call(sdb, "lua", "SET", "b", "foobar2"))
	print(skynet.call(sdb, "lua", "GET", "a"))
	print(skynet.call(sdb, "lua", "GET", "b"))
	cluster.open "db"
	cluster.open "db2"
end)
