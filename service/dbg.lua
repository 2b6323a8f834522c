-- `dbg CMD args...`: send a command to the launcher, print the result sorted
-- by key (table values as sorted key:value pairs), then exit.
local skynet = require "skynet"

local args = { ... }

local function sorted_keys(t)
	local keys = {}
	for k in pairs(t) do
		table.insert(keys, k)
	end
	table.sort(keys)
	return keys
end

local function format_value(v)
	if type(v) ~= "table" then
		return tostring(v)
	end
	local fields = {}
	for _, k in ipairs(sorted_keys(v)) do
		table.insert(fields, string.format("%s:%s", k, tostring(v[k])))
	end
	return table.concat(fields, "\t")
end

skynet.start(function()
	local result = skynet.call(".launcher", "lua", table.unpack(args))
	if result then
		for _, k in ipairs(sorted_keys(result)) do
			print(k, format_value(result[k]))
		end
	end
	skynet.exit()
end)
