-- skynet.datasheet.builder: publishes named sheets to the "datasheet"
-- service. A sheet is a table or a compiled blob (builder.compile); readers
-- (skynet.datasheet.query) see each update automatically.
local skynet = require "skynet"
local service = require "skynet.service"
local core = require "skynet.datasheet.core"

local builder = {}
local published = {}	-- names published by this service
local address

local function datasheet_service()
	local skynet = require "skynet"
	local core = require "skynet.sharedata.core"

	local sheets = {}	-- name -> { tree = lightuserdata, watch = { response } }
	local CMD = {}

	-- A tree in transit carries a reference for its reader, given back by
	-- "release" once the reader holds its own.
	local transit = {}	-- tree -> references handed out, not yet released
	local function hand_out(tree)
		core.incref(tree)
		transit[tree] = (transit[tree] or 0) + 1
		return tree
	end

	-- only references handed out here come back: a bad pointer frees nothing
	local function take_back(tree)
		local n = transit[tree]
		if n == nil then
			error("datasheet: unknown handle " .. tostring(tree))
		end
		transit[tree] = n > 1 and n - 1 or nil
		core.decref(tree)
	end

	function CMD.update(name, tree)
		local sheet = sheets[name]
		if not sheet then
			sheets[name] = { tree = tree, watch = {} }
			return
		end
		local old = sheet.tree
		sheet.tree = tree
		core.markdirty(old)
		local watch = sheet.watch
		sheet.watch = {}
		for _, response in ipairs(watch) do
			if not response(true, hand_out(tree)) then
				take_back(tree)
			end
		end
		core.decref(old)
	end

	function CMD.query(name)
		local sheet = assert(sheets[name], "create data first")
		return hand_out(sheet.tree)
	end

	function CMD.monitor(name, tree)
		local sheet = assert(sheets[name], "Invalid data handle")
		if sheet.tree ~= tree then
			return hand_out(sheet.tree)
		end
		table.insert(sheet.watch, skynet.response())
		return nil, true
	end

	function CMD.release(tree)
		take_back(tree)
	end

	skynet.dispatch("lua", function(session, _, cmd, ...)
		local f = assert(CMD[cmd], cmd)
		local r, deferred = f(...)
		if session ~= 0 and not deferred then
			skynet.ret(skynet.pack(r))
		end
	end)

	skynet.info_func(function()
		local info = {}
		for name, sheet in pairs(sheets) do
			info[name] = { handle = tostring(sheet.tree), monitors = #sheet.watch, refs = core.getref(sheet.tree) }
		end
		return info
	end)
end

skynet.init(function()
	address = service.new("datasheet", datasheet_service)
end)

local function publish(name, v)
	local tree = core.load(v)	-- a table or a compiled blob
	skynet.call(address, "lua", "update", name, tree)
end

function builder.new(name, v)
	assert(published[name] == nil, name)
	publish(name, v)
	published[name] = true
end

function builder.update(name, v)
	assert(published[name], name)
	publish(name, v)
end

function builder.compile(v)
	return core.dump(v)
end

return builder
