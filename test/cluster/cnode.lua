-- A serving node of a cluster test: one cecho service, reachable as "@echo"
-- (cluster name) and ".echo" (local name), and the cluster port of this
-- node's own entry in the node map. Prints "READY <node>" once listening.
local skynet = require "skynet"
require "skynet.manager"
local cluster = require "skynet.cluster"

skynet.start(function()
	local node = skynet.getenv "node_name"
	local echo = skynet.newservice("cecho")
	skynet.name(".echo", echo)
	cluster.register("echo", echo)
	cluster.open(node)
	io.stdout:write("READY ", node, "\n")
	io.stdout:flush()
end)
