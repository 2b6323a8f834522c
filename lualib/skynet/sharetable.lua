-- skynet.sharetable: named read-only tables loaded once by the "sharetable"
-- service and read by every service without a copy.
--
-- Upstream shares the table prototypes of its patched Lua VM; LuaJIT states
-- cannot share tables, so here the data lives in the native store of
-- sharedata and query returns a proxy onto it (see docs/share.md). update()
-- moves this service's proxies of the named tables to their newest version,
-- so every reference held anywhere in the service sees the new data.
local skynet = require "skynet"
local service = require "skynet.service"
local core = require "skynet.sharedata.core"

local function sharetable_service()
	local skynet = require "skynet"
	local core = require "skynet.sharedata.core"

	local files = {}	-- name -> tree (lightuserdata)
	local CMD = {}

	local function evaluate(source, chunkname, ...)
		local env = setmetatable({}, { __index = _G })
		local f
		if source:sub(1, 1) == "@" then
			f = assert(loadfile(source:sub(2), "bt", env))
		else
			f = assert(load(source, chunkname, "bt", env))
		end
		local t = f(...)
		assert(type(t) == "table", "sharetable: the source must return a table")
		return t
	end

	-- A new version of `name`: readers that have the old one move to it when
	-- they call sharetable.update.
	local function publish(name, t)
		local tree = core.new(t)
		local old = files[name]
		files[name] = tree
		if old then
			core.markdirty(old)
			core.decref(old)
		end
	end

	function CMD.loadfile(name, ...)
		publish(name, evaluate("@" .. name, nil, ...))
	end

	function CMD.loadstring(name, source, ...)
		publish(name, evaluate(source, "=" .. name, ...))
	end

	function CMD.loadtable(name, msg, sz)
		local ok, t = pcall(skynet.unpack, msg, sz)
		skynet.trash(msg, sz)
		assert(ok, t)
		publish(name, t)
	end

	-- Every tree handed out carries a reference for the reader, which it
	-- gives back with "confirm" once it holds its own.
	local transit = {}	-- tree -> references handed out, not yet confirmed
	local function hand_out(name)
		local tree = files[name]
		if tree then
			core.incref(tree)
			transit[tree] = (transit[tree] or 0) + 1
		end
		return tree
	end

	function CMD.query(name)
		return hand_out(name)
	end

	function CMD.queryall(names)
		local list = {}
		if names then
			for _, name in ipairs(names) do
				list[name] = hand_out(name)
			end
		else
			for name in pairs(files) do
				list[name] = hand_out(name)
			end
		end
		return list
	end

	-- only references handed out here come back: a bad pointer frees nothing
	function CMD.confirm(tree)
		local n = transit[tree]
		if n == nil then
			error("sharetable: unknown tree " .. tostring(tree))
		end
		transit[tree] = n > 1 and n - 1 or nil
		core.decref(tree)
	end

	skynet.dispatch("lua", function(session, _, cmd, ...)
		local f = assert(CMD[cmd], cmd)
		local r = f(...)
		if session ~= 0 then
			skynet.ret(skynet.pack(r))
		end
	end)

	skynet.info_func(function()
		local info = {}
		for name, tree in pairs(files) do
			info[name] = { current = tostring(tree), size = core.stat(tree), refs = core.getref(tree) }
		end
		return info
	end)
end

local address
local function sharetable_address()
	address = address or service.new("sharetable", sharetable_service)
	return address
end

local sharetable = {}

function sharetable.loadfile(filename, ...)
	skynet.call(sharetable_address(), "lua", "loadfile", filename, ...)
end

function sharetable.loadstring(filename, source, ...)
	skynet.call(sharetable_address(), "lua", "loadstring", filename, source, ...)
end

function sharetable.loadtable(filename, tbl)
	assert(type(tbl) == "table")
	skynet.call(sharetable_address(), "lua", "loadtable", filename, skynet.pack(tbl))
end

-- name -> set of the proxies handed out here (weak: dropped ones go away)
local RECORD = {}

local function record(name, tree)
	local t = core.box(tree)
	skynet.send(sharetable_address(), "lua", "confirm", tree)
	local map = RECORD[name]
	if not map then
		map = setmetatable({}, { __mode = "k" })
		RECORD[name] = map
	end
	map[t] = true
	return t
end

function sharetable.query(filename)
	local tree = skynet.call(sharetable_address(), "lua", "query", filename)
	if tree then
		return record(filename, tree)
	end
end

function sharetable.queryall(filenamelist)
	local list = {}
	local trees = skynet.call(sharetable_address(), "lua", "queryall", filenamelist)
	for name, tree in pairs(trees) do
		list[name] = record(name, tree)
	end
	return list
end

-- Moves every table of these names queried by this service to the newest
-- version.
function sharetable.update(...)
	for _, name in ipairs({ ... }) do
		local map = RECORD[name]
		if map then
			local tree = skynet.call(sharetable_address(), "lua", "query", name)
			if tree then
				for t in pairs(map) do
					if core.tree(t) ~= tree then
						core.update(t, tree)
						core.flush(t)
					end
				end
				skynet.send(sharetable_address(), "lua", "confirm", tree)
			end
		end
	end
end

return sharetable
