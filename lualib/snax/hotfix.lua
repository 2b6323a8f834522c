-- Hot patching of a running snax service. The patch is snax source whose
-- functions replace the service's methods of the same group and name; an
-- upvalue the patch declares but leaves nil (`local i`) is joined to the
-- service's upvalue of that name. LuaJIT functions reach globals through
-- their environment, not an _ENV upvalue, so patched functions get the
-- service's environment with setfenv.
local snax_interface = require "snax.interface"

local function upvalues(f)
	local i = 0
	return function()
		i = i + 1
		local name, value = debug.getupvalue(f, i)
		if name ~= nil then
			return i, name, value
		end
	end
end

local function source_of(f)
	return debug.getinfo(f, "S").source
end

-- Every upvalue name reachable from the service's methods: the method's own
-- upvalues and those of the functions they hold in upvalues, within one
-- chunk (Lua 5.4 tells chunks apart by their _ENV upvalue; every LuaJIT
-- chunk shares _G). Two different upvalues of the same name are ambiguous.
local function collect_upvalues(f, found, source)
	for i, name, value in upvalues(f) do
		local id = debug.upvalueid(f, i)
		local seen = found[name]
		if seen then
			assert(seen.id == id, string.format("ambiguity local value %s", name))
		else
			found[name] = { func = f, index = i, id = id }
			if type(value) == "function" and source_of(value) == source then
				collect_upvalues(value, found, source)
			end
		end
	end
end

local function service_upvalues(methods)
	local found = {}
	for _, m in pairs(methods) do
		local f = m[4]
		if f then
			collect_upvalues(f, found, source_of(f))
		end
	end
	return found
end

local function service_env(methods)
	for _, m in pairs(methods) do
		if m[4] then
			return getfenv(m[4])
		end
	end
	return _G
end

local function find_method(methods, group, name)
	for _, m in pairs(methods) do
		if m[2] == group and m[3] == name then
			return m
		end
	end
end

-- The environment a patch is compiled in; replaced by the service's own.
local patch_env = {}
for k, v in pairs(_G) do
	patch_env[k] = v
end

local function rebind(f, found, env)
	if getfenv(f) == patch_env then
		setfenv(f, env)
	end
	for i, name, value in upvalues(f) do
		if value == nil then
			local old = found[name]
			if old then
				debug.upvaluejoin(f, i, old.func, old.index)
			end
		elseif type(value) == "function" and getfenv(value) == patch_env then
			rebind(value, found, env)
		end
	end
end

local function patch_loader(source)
	return function()
		return assert(load(source, "=patch", "bt", patch_env))
	end
end

local function apply(methods, source, ...)
	local patch = snax_interface("patch", patch_env, patch_loader(source))
	local found = service_upvalues(methods)
	local env = service_env(methods)
	for _, p in pairs(patch) do
		local _, group, name, f = p[1], p[2], p[3], p[4]
		if f then
			local m = assert(find_method(methods, group, name), string.format("Patch mismatch %s.%s", group, name))
			rebind(f, found, env)
			m[4] = f
		end
	end
	local hotfix = find_method(patch, "system", "hotfix")
	if hotfix and hotfix[4] then
		return hotfix[4](...)
	end
end

return function(methods, source, ...)
	return pcall(apply, methods, source, ...)
end
