-- Serving node of snax.sh: a unique snax service csnaxping, and the cluster
-- port. Prints "READY <node> <snax handle>" once listening.
local skynet = require "skynet"
local cluster = require "skynet.cluster"
local snax = require "skynet.snax"

skynet.start(function()
	local node = skynet.getenv "node_name"
	local ping = snax.uniqueservice("csnaxping", 100)
	cluster.open(node)
	io.stdout:write("READY ", node, " ", ping.handle, "\n")
	io.stdout:flush()
end)
