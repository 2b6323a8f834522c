-- DATACENTER: a tree of values addressed by key paths, shared by the node.
-- WAIT on a path blocks until a value is set there.
local skynet = require "skynet"

local database = {}
-- Waiters mirror the key tree: interior nodes are tagged BRANCH, leaves are
-- QUEUE lists of response closures. The tag key is private to this file.
local waiters = {}
local KIND = {}
local BRANCH, QUEUE = "branch", "queue"

local command = {}

local function lookup(node, key, ...)
	if node == nil or key == nil then
		return node
	end
	return lookup(node[key], ...)
end

function command.QUERY(key, ...)
	local node = database[key]
	if node ~= nil then
		return lookup(node, ...)
	end
end

-- Store the last argument at the path given by the others, creating
-- interior tables as needed. Returns the old value and the new one.
local function store(node, key, value, ...)
	if select("#", ...) > 0 then
		local child = node[key]
		if child == nil then
			child = {}
			node[key] = child
		end
		return store(child, value, ...)
	end
	local old = node[key]
	node[key] = value
	return old, value
end

-- Detach the waiters for the path just set. `...` is the rest of the path
-- followed by the value, so exactly one extra argument means "leaf reached".
-- Waiters on an interior node of that path can never be satisfied: fail them.
local function take_waiters(node, key, ...)
	if key == nil then
		return
	end
	local w = node[key]
	if w == nil then
		return
	end
	if w[KIND] == BRANCH then
		return take_waiters(w, ...)
	end
	node[key] = nil
	if select("#", ...) == 1 then
		return w
	end
	for _, response in ipairs(w) do
		response(false)
	end
end

function command.UPDATE(...)
	local old, value = store(database, ...)
	-- only a fresh, non-nil value can satisfy waiters
	if old == nil and value ~= nil then
		local queue = take_waiters(waiters, ...)
		if queue then
			for _, response in ipairs(queue) do
				response(true, value)
			end
		end
	end
	return old
end

local function child_of(node, key, kind)
	local child = node[key]
	if child == nil then
		child = { [KIND] = kind }
		node[key] = child
	else
		assert(child[KIND] == kind, "datacenter: a path can't both be waited on and have children waited on")
	end
	return child
end

local function wait(node, key, nextkey, ...)
	if nextkey == nil then
		table.insert(child_of(node, key, QUEUE), skynet.response())
	else
		return wait(child_of(node, key, BRANCH), nextkey, ...)
	end
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		if cmd == "WAIT" then
			local value = command.QUERY(...)
			if value ~= nil then
				skynet.ret(skynet.pack(value))
			else
				wait(waiters, ...)
			end
			return
		end
		local f = assert(command[cmd])
		skynet.ret(skynet.pack(f(...)))
	end)
end)
