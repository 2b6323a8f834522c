-- The db node: a simpledb service, reachable from other nodes as "@sdb".
local skynet = require "skynet"
local cluster = require "skynet.cluster"

skynet.start(function()
	local sdb = skynet.newservice("simpledb")
	cluster.register("sdb", sdb)
	skynet.call(sdb, "lua", "SET", "a", "foobar")
	skynet.call(sdb, "lua", "SET", "b", "foobar2")
	-- listen on the address the node map gives "db"
	cluster.open("db")
	print("db node ready")
end)
