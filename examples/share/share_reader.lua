-- A reader of the shared-data demo: its proxies see the host's updates.
local skynet = require "skynet"
local sharedata = require "skynet.sharedata"
local datasheet = require "skynet.datasheet"

local CMD = {}

function CMD.show(when)
	local items = sharedata.query "items"
	local names = {}
	for name in pairs(items) do
		names[#names + 1] = name
	end
	table.sort(names)
	for _, name in ipairs(names) do
		local item = items[name]
		local tags = {}
		for i, tag in ipairs(item.tags) do
			tags[i] = tag
		end
		skynet.error(string.format("%s: %s costs %d (%d tags: %s)", when, name, item.price, #item.tags,
			table.concat(tags, " ")))
	end
end

function CMD.sheet(name)
	local sheet = datasheet.query(name)
	skynet.error(string.format("datasheet %s: slime hp %d, dragon hp %d", name, sheet.slime.hp, sheet.dragon.hp))
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		CMD[cmd](...)
		skynet.ret()
	end)
end)
