-- The node map: the `cluster` file, reload(table), reload() re-reading the
-- file, nodes marked false, __nowaiting, open by node name.
local skynet = require "skynet"
require "skynet.manager"
local cluster = require "skynet.cluster"
local T = require "testlib"
local L = require "svc_clusterlib"

-- clusterd reads the `cluster` key when it starts (in skynet.start, below)
local mapfile = skynet.getenv("scenario_tmp") .. "/clustermap_config.lua"
L.write_file(mapfile, 'down = false\n__nowaiting = false\n')
skynet.setenv("cluster", mapfile)

skynet.start(function()
	local echo = skynet.newservice("svc_cluster_echo")
	cluster.register("echo", echo)
	local addr

	T.case("open by node name", function()
		local port = L.free_port()
		addr = "127.0.0.1:" .. port
		cluster.reload { me = addr }
		local name, p = cluster.open("me", 16)
		T.eq(name, "me", "returns the node name")
		T.eq(p, nil, "and no port")
		T.ok(L.log_wait("Listen on " .. addr .. " nil"), "gate listens on the node address")
		T.eq(cluster.call("me", "@echo", "echo", 42), 42, "call through it")
	end)

	T.case("open(port, maxclient) limits inbound connections", function()
		local _, port = cluster.open(0, 1)
		local one = "127.0.0.1:" .. port
		cluster.reload { first = one, second = one }
		T.eq(cluster.call("first", "@echo", "echo", 1), 1, "first connection served")
		-- a second sender is a second connection: refused by the gate
		local ok = pcall(cluster.call, "second", "@echo", "echo", 2)
		T.ok(not ok, "second connection refused")
		T.eq(cluster.call("first", "@echo", "echo", 3), 3, "first still served")
	end)

	T.case("open a node that is down or unknown", function()
		T.raises("call failed", cluster.open, "down")
		T.raises("call failed", cluster.open, "127.0.0.1")
	end)

	T.case("a node marked false refuses calls, drops sends", function()
		T.raises("dest address type (nil)", cluster.call, "down", "@echo", "echo", 1)
		cluster.send("down", "@echo", "push", "lost")
		-- still refused on the next try (nothing cached)
		T.raises("dest address type (nil)", cluster.call, "down", "@echo", "echo", 1)
	end)

	T.case("reload() re-reads the file", function()
		L.write_file(mapfile, string.format('down = %q\n', addr))
		cluster.reload()
		T.eq(cluster.call("down", "@echo", "echo", "up"), "up", "node from the file")
		local got = cluster.call("down", "@echo", "pushed")
		T.eq(#got, 0, "the send made while down was dropped")
	end)

	T.case("a node set false while its sender exists", function()
		cluster.reload { down = false }
		T.ok(L.log_wait("Close cluster sender"), "sender closed")
		T.raises("call failed", cluster.call, "down", "@echo", "echo", 1)
		-- and back again
		cluster.reload { down = addr }
		local v = L.eventually(function()
			local ok, r = pcall(cluster.call, "down", "@echo", "echo", "back")
			return ok and r
		end)
		T.eq(v, "back", "restored")
	end)

	T.case("reload(table) moves a node", function()
		cluster.reload { mover = addr }
		T.eq(cluster.call("mover", "@echo", "echo", 1), 1, "first address")
		-- nothing listens there: calls fail quickly
		local dead = "127.0.0.1:" .. L.free_port()
		cluster.reload { mover = dead }
		T.ok(L.eventually(function()
			return not pcall(cluster.call, "mover", "@echo", "echo", 2)
		end), "calls to the dead address fail")
		T.raises("call failed", cluster.call, "mover", "@echo", "echo", 2)
		-- nodes absent from the table keep their address
		T.eq(cluster.call("me", "@echo", "echo", 3), 3, "other node untouched")
		-- back to a live address (a second listener of this node)
		local _, port = cluster.open(0)
		cluster.reload { mover = "127.0.0.1:" .. port }
		local v = L.eventually(function()
			local ok, r = pcall(cluster.call, "mover", "@echo", "echo", 4)
			return ok and r
		end)
		T.eq(v, 4, "new address")
	end)

	T.case("unknown node waits until the map names it", function()
		local wait = L.spawn(cluster.call, "later", "@echo", "echo", "late")
		T.ok(L.log_wait("Waiting for cluster node [later]"), "waiting logged")
		local ok, v = wait(1)
		T.eq(v, "timeout", "still waiting")
		cluster.reload { later = addr }
		ok, v = wait(1000)
		T.ok(ok, tostring(v))
		T.eq(v, "late", "answered once resolved")
		T.ok(L.log_wait("Cluster node [later] resolved : " .. addr), "resolved logged")
	end)

	T.case("__nowaiting: unknown nodes fail at once", function()
		cluster.reload { __nowaiting = true }
		T.ok(L.log_wait("Config nowaiting = true"), "option logged")
		T.raises("dest address type (nil)", cluster.call, "absent", "@echo", "echo", 1)
		T.ok(L.log_wait("cluster node [absent] is absent."), "absent logged")
		T.raises("dest address type (nil)", cluster.query, "absent2", "echo")
	end)

	T.case("__nowaiting set while a call waits releases it", function()
		cluster.reload { __nowaiting = false }
		local wait = L.spawn(cluster.call, "never", "@echo", "echo", 1)
		T.ok(L.log_wait("Waiting for cluster node [never]"), "waiting logged")
		cluster.reload { __nowaiting = true }
		local ok, err = wait(1000)
		T.ok(not ok, "the waiting call fails")
		T.ok(tostring(err):find("dest address type (nil)", 1, true), tostring(err))
	end)

	T.case("bad maps are refused", function()
		T.raises("call failed", cluster.reload, { bad = 1234 })
		T.raises("call failed", cluster.reload, { bad = "no-port" })
		T.raises("dest address type (nil)", cluster.call, "bad", "@echo", "echo", 1)
		L.write_file(mapfile, "this is not lua")
		T.raises("call failed", cluster.reload)
		-- the node keeps working
		T.eq(cluster.call("me", "@echo", "echo", 5), 5, "still serving")
	end)

	T.case("without cluster_watch the file is read only on reload()", function()
		L.write_file(mapfile, 'me = false\n')
		skynet.sleep(50)	-- a watch would have had ten rounds by now
		T.eq(cluster.call("me", "@echo", "echo", 6), 6, "node unchanged")
	end)

	T.done()
end)
