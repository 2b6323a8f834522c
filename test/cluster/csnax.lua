-- Client node of snax.sh: cluster.snax(node, type[, handle]) objects reach a
-- snax service on the other node.
local skynet = require "skynet"
local cluster = require "skynet.cluster"
local T = require "ctest"

skynet.start(function()
	local handle = tonumber(skynet.getenv "snax_handle")
	T.case("cluster.snax by type: req returns the remote results", function()
		local obj = cluster.snax("alpha", "csnaxping")
		T.eq(obj.type, "csnaxping")
		T.eq(obj.req.total(), 100)
		local a, b, c = obj.req.echo(1, "two", { 3 })
		T.eq(a, 1)
		T.eq(b, "two")
		T.eq(c[1], 3)
	end)

	T.case("post reaches the remote service, in order with req", function()
		local obj = cluster.snax("alpha", "csnaxping")
		for i = 1, 10 do
			obj.post.add(i)
		end
		T.eq(obj.req.total(), 155)
	end)

	T.case("cluster.snax with an explicit handle", function()
		local obj = cluster.snax("alpha", "csnaxping", handle)
		T.eq(obj.req.total(), 155)
	end)

	T.case("remote error fails the call; unknown methods no exist", function()
		local obj = cluster.snax("alpha", "csnaxping")
		T.ok(T.raises(obj.req.fail):find("call failed", 1, true), "call failed")
		local err = T.raises(function() return obj.req.nope end)
		T.ok(err:find("request csnaxping:nope no exist", 1, true), err)
		err = T.raises(function() return obj.post.total end)
		T.ok(err:find("post csnaxping:total no exist", 1, true), err)
		T.eq(obj.req.total(), 155, "service survives")
	end)

	T.done()
end)
