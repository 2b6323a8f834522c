-- sharedatad: owns the named sharedata trees. A tree is native memory shared
-- by every service; this service holds one reference to each current tree,
-- plus one for every tree in transit to a reader until it confirms.
local skynet = require "skynet"
local core = require "skynet.sharedata.core"
local codecache = require "skynet.codecache"
codecache.mode "OFF"	-- new/update may load a data file that changes between calls

local NORET = {}
local pool = {}	-- name -> { tree = lightuserdata, watch = { response } }
local transit = {}	-- tree -> references handed out and not yet confirmed

-- A reference for a reader; it gives it back with "confirm".
local function give(tree)
	core.incref(tree)
	transit[tree] = (transit[tree] or 0) + 1
	return tree
end

-- Only references this service handed out can come back: a bad pointer in
-- a message must not free anything.
local function take_back(tree)
	local n = transit[tree]
	if n == nil then
		error("sharedatad: unknown tree " .. tostring(tree))
	end
	transit[tree] = n > 1 and n - 1 or nil
	core.decref(tree)
end

local env_mt = { __index = _G }

-- A value given to new/update: a table, Lua source, "@filename", or nil.
local function build_value(name, v, ...)
	local t = type(v)
	if t == "table" then
		return v
	elseif t == "nil" then
		return {}
	elseif t ~= "string" then
		error("Unknown data type " .. t)
	end
	local env = setmetatable({}, env_mt)
	local f
	if v:sub(1, 1) == "@" then
		f = assert(loadfile(v:sub(2), "bt", env))
	else
		f = assert(load(v, "=" .. name, "bt", env))
	end
	local _, ret = assert(skynet.pcall(f, ...))
	setmetatable(env, nil)
	if type(ret) == "table" then
		return ret
	end
	return env
end

local function new_entry(name, v, ...)
	assert(pool[name] == nil, name)
	pool[name] = { tree = core.new(build_value(name, v, ...)), watch = {} }
end

-- A reader gets the tree with a reference taken for it; if it has gone
-- away, the reference is dropped here.
local function hand_over(response, tree)
	if not response(true, give(tree)) then
		take_back(tree)
	end
end

local CMD = {}

function CMD.new(name, v, ...)
	new_entry(name, v, ...)
end

function CMD.delete(name)
	local entry = assert(pool[name], name)
	pool[name] = nil
	core.decref(entry.tree)
	for _, response in pairs(entry.watch) do
		response(true)
	end
end

function CMD.query(name)
	local entry = assert(pool[name], name)
	return give(entry.tree)
end

function CMD.confirm(tree)
	take_back(tree)
	return NORET
end

function CMD.update(name, v, ...)
	local old = pool[name]
	pool[name] = nil
	local ok, err = pcall(new_entry, name, v, ...)
	if not ok then
		pool[name] = old
		error(err)
	end
	if old then
		local tree = pool[name].tree
		core.markdirty(old.tree)
		for _, response in pairs(old.watch) do
			hand_over(response, tree)
		end
		core.decref(old.tree)
	end
end

-- Readers whose service has exited are dropped when the list grows.
local function prune(watch)
	local live = {}
	for _, response in ipairs(watch) do
		if response "TEST" then
			live[#live + 1] = response
		end
	end
	return live
end

function CMD.monitor(name, tree)
	local entry = pool[name]
	if entry == nil then
		return nil	-- deleted before the reader started watching
	end
	if tree ~= entry.tree then
		return give(entry.tree)
	end
	local watch = entry.watch
	if #watch >= (entry.threshold or 16) then
		watch = prune(watch)
		entry.watch = watch
		entry.threshold = math.max(16, #watch * 2)
	end
	watch[#watch + 1] = skynet.response()
	return NORET
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = assert(CMD[cmd], cmd)
		local r = f(...)
		if r ~= NORET then
			skynet.ret(skynet.pack(r))
		end
	end)
end)
