-- skynet.datasheet: query(name) returns a read-only proxy of a sheet
-- published by skynet.datasheet.builder; it follows every update.
local skynet = require "skynet"
local service = require "skynet.service"
local core = require "skynet.sharedata.core"

local datasheet_svr

skynet.init(function()
	datasheet_svr = service.query "datasheet"
end)

local datasheet = {}
local sheets = {}	-- name -> { object, error, queue }

local function follow(name, object, tree)
	while true do
		tree = skynet.call(datasheet_svr, "lua", "monitor", name, tree)
		core.update(object, tree)
		skynet.send(datasheet_svr, "lua", "release", tree)
	end
end

local function fetch(sheet, name)
	local ok, tree = pcall(skynet.call, datasheet_svr, "lua", "query", name)
	if ok then
		sheet.object = core.box(tree)
		skynet.send(datasheet_svr, "lua", "release", tree)
		skynet.fork(follow, name, sheet.object, tree)
	else
		sheet.error = tree
	end
end

function datasheet.query(name)
	local sheet = sheets[name]
	if not sheet then
		sheet = {}
		sheets[name] = sheet
	end
	if sheet.queue then	-- another thread is fetching it
		local co = coroutine.running()
		table.insert(sheet.queue, co)
		skynet.wait(co)
	elseif not sheet.object and not sheet.error then
		sheet.queue = {}
		fetch(sheet, name)
		local queue = sheet.queue
		sheet.queue = nil
		for _, co in ipairs(queue) do
			skynet.wakeup(co)
		end
	end
	if sheet.error then
		error(sheet.error)
	end
	return sheet.object
end

return datasheet
