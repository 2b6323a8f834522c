-- Service management on top of skynet.lua: launching C services, killing,
-- naming, exit monitors and custom message callbacks. Returns skynet itself.

local skynet = require "skynet"
local c = require "skynet.core"

-- numeric handle of a number or ":hex" string; nil for names
local function handle_of(addr)
	if type(addr) == "number" then
		return addr
	elseif type(addr) == "string" then
		local hex = addr:match "^:(%x+)"
		if hex then
			return tonumber(hex, 16)
		end
	end
end

function skynet.launch(...)
	local addr = c.command("LAUNCH", table.concat({ ... }, " "))
	if addr then
		return tonumber(addr:sub(2), 16)
	end
end

function skynet.kill(name)
	local handle = handle_of(name)
	if handle then
		-- a newservice still waiting for it must fail, not hang
		skynet.send(".launcher", "lua", "REMOVE", handle, true)
		name = skynet.address(handle)
	end
	c.command("KILL", name)
end

function skynet.abort()
	c.command "ABORT"
end

-- Global names go through the harbor; returns false for a local ".name".
local function set_global(name, handle)
	local first = name:sub(1, 1)
	assert(first ~= ":")
	if first == "." then
		return false
	end
	assert(#name < 16)	-- harbor names are at most 15 bytes
	assert(tonumber(name) == nil)
	require("skynet.harbor").globalname(name, handle)
	return true
end

function skynet.register(name)
	if not set_global(name) then
		c.command("REG", name)
	end
end

function skynet.name(name, handle)
	if not set_global(name, handle) then
		c.command("NAME", name .. " " .. skynet.address(handle))
	end
end

local dispatch_message = skynet.dispatch_message

local function start_later(start_func)
	skynet.timeout(0, function()
		skynet.init_service(start_func)
	end)
end

-- map[ptype] = ptype': such messages are dispatched as ptype' and their
-- buffer is left to the handler; other messages are freed after dispatch.
function skynet.forward_type(map, start_func)
	c.callback(function(ptype, msg, sz, ...)
		local as = map[ptype]
		if as then
			dispatch_message(as, msg, sz, ...)
		else
			local ok, err = pcall(dispatch_message, ptype, msg, sz, ...)
			c.trash(msg, sz)
			if not ok then
				error(err, 0)
			end
		end
	end, true)
	start_later(start_func)
end

function skynet.filter(f, start_func)
	c.callback(function(...)
		dispatch_message(f(...))
	end)
	start_later(start_func)
end

function skynet.monitor(service, query)
	local monitor
	if query then
		monitor = skynet.queryservice(true, service)
	else
		monitor = skynet.uniqueservice(true, service)
	end
	assert(monitor, "Monitor launch failed")
	c.command("MONITOR", string.format(":%08x", monitor))
	return monitor
end

return skynet
