-- The opt-in `cluster_watch` key: clusterd re-reads the node map file on
-- its own and applies it when the text changed.
local skynet = require "skynet"
require "skynet.manager"
local cluster = require "skynet.cluster"
local T = require "testlib"
local L = require "svc_clusterlib"

local mapfile = skynet.getenv("scenario_tmp") .. "/clustermap_watch.lua"
L.write_file(mapfile, 'w = false\n')
skynet.setenv("cluster", mapfile)
skynet.setenv("cluster_watch", "5")

skynet.start(function()
	local echo = skynet.newservice("svc_cluster_echo")
	cluster.register("echo", echo)
	local _, port = cluster.open(0)
	local addr = "127.0.0.1:" .. port

	T.case("a node marked false in the file", function()
		T.raises("dest address type (nil)", cluster.call, "w", "@echo", "echo", 1)
	end)

	T.case("editing the file brings the node up", function()
		L.write_file(mapfile, string.format('w = %q\n', addr))
		T.ok(L.eventually(function()
			return pcall(cluster.call, "w", "@echo", "echo", 1)
		end), "node reachable after the edit")
		T.ok(L.log_wait("Cluster config " .. mapfile .. " reloaded"), "reload logged")
	end)

	T.case("a broken file is reported and ignored", function()
		L.write_file(mapfile, 'w = \n')
		T.ok(L.log_wait("not reloaded"), "error logged")
		T.eq(cluster.call("w", "@echo", "echo", 2), 2, "node still reachable")
	end)

	T.case("editing the file takes the node down", function()
		L.write_file(mapfile, 'w = false\n')
		T.ok(L.log_wait("Close cluster sender"), "sender closed")
		T.raises("call failed", cluster.call, "w", "@echo", "echo", 3)
	end)

	T.done()
end)
