-- The reader side of share_map.
local skynet = require "skynet"
local sharemap = require "skynet.sharemap"

local reader
local CMD = {}

function CMD.init(typename, copy)
	reader = sharemap.reader(typename, copy)
end

function CMD.read(update)
	local updated = false
	if update then
		updated = reader:update() and true or false
	end
	return { updated = updated, x = reader.x, y = reader.y, tag = reader.tag }
end

function CMD.write()
	return pcall(function() reader.x = 5 end)
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		skynet.retpack(CMD[cmd](...))
	end)
end)
