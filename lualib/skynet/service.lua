-- Services defined by a function instead of a file:
--	service.new(name, mainfunc, ...) -> address (launched once per name)
--	service.query(name) -> address (blocks while it boots)
--	service.close(name) -> true if it was running (and is now killed)
-- mainfunc is serialized with string.dump and run in a service_cell, so it
-- must not capture upvalues: everything it needs comes from `require`.
local skynet = require "skynet.manager"	-- skynet.kill

local service = {}
local cache = {}
local provider

local function get_provider()
	provider = provider or skynet.uniqueservice "service_provider"
	return provider
end

-- Lua 5.2+ functions that only use globals have one upvalue, _ENV; under
-- LuaJIT they have none. Anything else would be lost by string.dump.
local function check(func)
	assert(type(func) == "function", "service.new needs a main function")
	local nups = debug.getinfo(func, "u").nups
	for i = 1, nups do
		local upname = debug.getupvalue(func, i)
		if upname ~= "_ENV" then
			error(string.format("service main function can't use upvalue '%s' (require it inside the function)", tostring(upname)), 3)
		end
	end
end

function service.new(name, mainfunc, ...)
	local p = get_provider()
	local address, booting = skynet.call(p, "lua", "test", name)
	if not address then
		if booting then
			address = skynet.call(p, "lua", "query", name)
		else
			check(mainfunc)
			address = skynet.call(p, "lua", "launch", name, string.dump(mainfunc), ...)
		end
	end
	cache[name] = address
	return address
end

function service.close(name)
	local address = skynet.call(get_provider(), "lua", "close", name)
	if not address then
		return false
	end
	cache[name] = nil
	skynet.kill(address)
	return true
end

function service.query(name)
	local address = cache[name]
	if not address then
		address = skynet.call(get_provider(), "lua", "query", name)
		cache[name] = address
	end
	return address
end

return service
