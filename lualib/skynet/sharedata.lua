-- skynet.sharedata: named read-only tables shared by every service. query
-- returns a proxy onto the one native copy; after an update the proxy (and
-- every proxy taken from it) reads the new data on its next access.
local skynet = require "skynet"
local core = require "skynet.sharedata.core"

local service

skynet.init(function()
	service = skynet.uniqueservice "sharedatad"
end)

local sharedata = {}
local cache = setmetatable({}, { __mode = "kv" })	-- name -> root proxy

local function monitor(name, obj, tree)
	while true do
		tree = skynet.call(service, "lua", "monitor", name, tree)
		if tree == nil then
			break
		end
		core.update(obj, tree)
		skynet.send(service, "lua", "confirm", tree)
	end
	if cache[name] == obj then
		cache[name] = nil
	end
end

function sharedata.query(name)
	local obj = cache[name]
	if obj then
		return obj
	end
	local tree = skynet.call(service, "lua", "query", name)
	obj = cache[name]	-- another thread may have won the race
	if obj and core.tree(obj) == tree then
		skynet.send(service, "lua", "confirm", tree)
		return obj
	end
	obj = core.box(tree)
	skynet.send(service, "lua", "confirm", tree)
	skynet.fork(monitor, name, obj, tree)
	cache[name] = obj
	return obj
end

function sharedata.new(name, v, ...)
	skynet.call(service, "lua", "new", name, v, ...)
end

function sharedata.update(name, v, ...)
	skynet.call(service, "lua", "update", name, v, ...)
end

function sharedata.delete(name)
	skynet.call(service, "lua", "delete", name)
	cache[name] = nil	-- this service's monitor may not have heard of it yet
end

-- Applies updates that have arrived to every proxy of this service.
function sharedata.flush()
	for _, obj in pairs(cache) do
		core.flush(obj)
	end
	collectgarbage()
end

-- A plain Lua copy of name[k1][k2]...
function sharedata.deepcopy(name, ...)
	local obj = cache[name]
	if obj then
		return core.copy(obj, ...)
	end
	local tree = skynet.call(service, "lua", "query", name)
	local ok, ret = pcall(core.copy, tree, ...)
	skynet.send(service, "lua", "confirm", tree)
	assert(ok, ret)
	return ret
end

return sharedata
