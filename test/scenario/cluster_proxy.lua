-- cluster.proxy in all its forms, and trace tags crossing the cluster.
local skynet = require "skynet"
require "skynet.manager"
local cluster = require "skynet.cluster"
local core = require "skynet.cluster.core"
local T = require "testlib"
local L = require "svc_clusterlib"

skynet.start(function()
	local echo = skynet.newservice("svc_cluster_echo")
	skynet.name(".pecho", echo)
	local _, port = cluster.open(0)
	cluster.reload { self = "127.0.0.1:" .. port }
	cluster.register("echo", echo)

	local function check_proxy(p, what)
		T.ok(type(p) == "number", what .. " is a handle")
		T.eq(skynet.call(p, "lua", "echo", what, 2), what, what .. " call")
		local a, b = skynet.call(p, "lua", "echo", what, 2)
		T.eq(b, 2, what .. " second value")
		skynet.send(p, "lua", "push", what)
		local got = skynet.call(p, "lua", "pushed")
		T.eq(got[1], what, what .. " send")
		T.raises("call failed", skynet.call, p, "lua", "fail")
	end

	T.case("proxy(\"node@name\")", function()
		check_proxy(cluster.proxy("self@echo"), "self@echo")
	end)

	T.case("proxy(\"node.name\")", function()
		check_proxy(cluster.proxy("self.pecho"), "self.pecho")
	end)

	T.case("proxy(node, \"@name\") is the same service as proxy(\"node@name\")", function()
		local p = cluster.proxy("self", "@echo")
		T.eq(p, cluster.proxy("self@echo"), "one proxy per node.name")
		check_proxy(p, "self,@echo")
	end)

	T.case("proxy(node, \".name\") and proxy(node, handle)", function()
		check_proxy(cluster.proxy("self", ".pecho"), "self,.pecho")
		check_proxy(cluster.proxy("self", echo), "self,handle")
	end)

	T.case("proxy with a bad name", function()
		T.raises("call failed", cluster.proxy, "nonsense")
		T.ok(L.log_wait("Invalid name nonsense"), "clusterd logged the bad name")
	end)

	T.case("proxy carries large messages", function()
		local p = cluster.proxy("self@echo")
		local key = string.rep("k", 128 * 1024)
		local value = string.rep("v", 100 * 1024)
		local k, v = skynet.call(p, "lua", "echo", key, value)
		T.eq(k, key, "key")
		T.eq(v, value, "value")
	end)

	T.case("trace tags cross the cluster", function()
		skynet.trace("cluster")
		local tag = skynet.tracetag()
		T.ok(tag, "tracing")
		T.eq(cluster.call("self", "@echo", "echo", "traced"), "traced", "traced call")
		-- the sender renames the tag after this node and the remote session,
		-- the remote agent calls with that tag
		local remote = "(" .. core.nodename() .. "-self-"
		T.ok(L.log_wait("<TRACE " .. tag .. "> "), "local trace logged")
		T.ok(L.log_wait("session " .. remote), "sender logged the remote tag")
		T.ok(L.log_wait(")" .. tag .. "> "), "remote tag logged")
		T.ok(L.log_wait("tracecall begin"), "agent traced the call")
		T.ok(L.log_wait("tracecall end"), "agent traced the end")
		-- the echo service saw the request under the remote tag
		local f = assert(io.open(skynet.getenv "logger"))
		local text = f:read "*a"
		f:close()
		local pattern = string.format("%%[:%08x%%] <TRACE %%(%s%%-self%%-%%d+%%)%s> %%d+ request",
			echo, core.nodename():gsub("%p", "%%%0"), tag:gsub("%p", "%%%0"))
		T.ok(text:find(pattern), "request traced in the target service")
	end)

	T.done()
end)
