-- Parses a snax file: runs it with the globals table G, collecting the
-- functions it defines into accept.*, response.* and the system methods
-- init/exit/hotfix/profile. Returns the method list { {id, group, name, f} }
-- (ids 1-4 are the system methods) and the path pattern that found the file.
local skynet = require "skynet"

local SYSTEM = { "init", "exit", "hotfix", "profile" }

local function default_loader(path, name, G)
	local errors = {}
	for pattern in string.gmatch(path, "[^;]+") do
		local filename = string.gsub(pattern, "?", name)
		local f, err = loadfile(filename, "bt", G)
		if f then
			return f, pattern
		end
		table.insert(errors, err)
	end
	error(table.concat(errors, "\n"))
end

-- A write-only table: `function group.name() end` appends a method.
local function method_group(methods, group)
	local defined = {}
	return setmetatable({}, {
		__newindex = function(_, name, f)
			if type(name) ~= "string" then
				error(string.format("%s method only support string", group))
			end
			if type(f) ~= "function" then
				error(string.format("%s.%s must be function", group, name))
			end
			if defined[name] then
				error(string.format("%s.%s duplicate definition", group, name))
			end
			defined[name] = true
			table.insert(methods, { #methods + 1, group, name, f })
		end,
	})
end

return function(name, G, loader)
	loader = loader or default_loader
	assert(getmetatable(G) == nil)
	assert(G.init == nil)
	assert(G.exit == nil)
	assert(G.accept == nil)
	assert(G.response == nil)

	local methods = {}
	local system = {}
	for id, sname in ipairs(SYSTEM) do
		system[sname] = id
		methods[id] = { id, "system", sname }
	end

	-- Globals the file defines land here first, and move into G once it ran.
	local defined = {}
	local env = setmetatable({}, { __index = defined })
	env.accept = method_group(methods, "accept")
	env.response = method_group(methods, "response")

	local function define(_, key, value)
		local id = system[key]
		if id then
			if type(value) ~= "function" then
				error(string.format("%s must be a function", key))
			end
			methods[id][4] = value
		else
			defined[key] = value
		end
	end

	local path = assert(skynet.getenv "snax", "please set snax in config file")
	local main, pattern = loader(path, name, G)

	setmetatable(G, { __index = env, __newindex = define })
	local ok, err = xpcall(main, debug.traceback)
	setmetatable(G, nil)
	assert(ok, err)

	for k, v in pairs(defined) do
		G[k] = v
	end
	return methods, pattern
end
