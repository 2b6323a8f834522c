-- Client of the DATACENTER service: a node-wide tree of values.
--	datacenter.set(k1, k2, ..., value) -> old value
--	datacenter.get(k1, k2, ...) -> value (or the subtree)
--	datacenter.wait(k1, k2, ...) -> value, blocking until it is set
local skynet = require "skynet"

local datacenter = {}

local function request(cmd, ...)
	return skynet.call("DATACENTER", "lua", cmd, ...)
end

function datacenter.get(...)
	return request("QUERY", ...)
end

function datacenter.set(...)
	return request("UPDATE", ...)
end

function datacenter.wait(...)
	return request("WAIT", ...)
end

return datacenter
