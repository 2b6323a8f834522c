-- snax: services whose methods are `accept.*` (send) and `response.*` (call)
-- functions of a file found on the config path `snax`, run by snaxd.
local skynet = require "skynet"
local snax_interface = require "snax.interface"

local snax = {}
local typeclass = {}

local interface_g = skynet.getenv "snax_interface_g"
local G = interface_g and require(interface_g) or { require = function() end }
interface_g = nil

skynet.register_protocol {
	name = "snax",
	id = skynet.PTYPE_SNAX,
	pack = skynet.pack,
	unpack = skynet.unpack,
}

-- The method ids of a snax type: { accept = {name=id}, response = ..., system = ... }
function snax.interface(name)
	local t = typeclass[name]
	if t then
		return t
	end
	t = { name = name, accept = {}, response = {}, system = {} }
	for _, v in ipairs(snax_interface(name, G)) do
		t[v[2]][v[3]] = v[1]
	end
	typeclass[name] = t
	return t
end

local object_meta = {
	__tostring = function(obj)
		return string.format("[%s:%x]", obj.type, obj.handle)
	end,
}

local skynet_send = skynet.send
local skynet_call = skynet.call

-- obj.post.f(...) sends, obj.req.f(...) calls; an unknown f is an error at
-- lookup, before anything is sent.
local function method_table(t, handle, group, verb, invoke)
	local ids = t[group]
	return setmetatable({}, {
		__index = function(_, k)
			local id = ids[k]
			if not id then
				error(string.format("%s %s:%s no exist", verb, t.name, k))
			end
			return function(...)
				return invoke(handle, "snax", id, ...)
			end
		end,
	})
end

local function post_invoke(handle, proto, id, ...)
	skynet_send(handle, proto, id, ...)
end

local function wrap(handle, name, t)
	return setmetatable({
		post = method_table(t, handle, "accept", "post", post_invoke),
		req = method_table(t, handle, "response", "request", skynet_call),
		type = name,
		handle = handle,
	}, object_meta)
end

local bound = setmetatable({}, { __mode = "kv" })

function snax.rawnewservice(name, ...)
	local t = snax.interface(name)
	local handle = skynet.newservice("snaxd", name)
	assert(bound[handle] == nil)
	if t.system.init then
		skynet_call(handle, "snax", t.system.init, ...)
	end
	return handle
end

function snax.bind(handle, name)
	local obj = bound[handle]
	if obj then
		assert(obj.type == name)
		return obj
	end
	obj = wrap(handle, name, snax.interface(name))
	bound[handle] = obj
	return obj
end

function snax.newservice(name, ...)
	return snax.bind(snax.rawnewservice(name, ...), name)
end

local function service_mgr(cmd, name, ...)
	return assert(skynet_call(".service", "lua", cmd, "snaxd", name, ...))
end

function snax.uniqueservice(name, ...)
	return snax.bind(service_mgr("LAUNCH", name, ...), name)
end

function snax.globalservice(name, ...)
	return snax.bind(service_mgr("GLAUNCH", name, ...), name)
end

function snax.queryservice(name)
	return snax.bind(service_mgr("QUERY", name), name)
end

function snax.queryglobal(name)
	return snax.bind(service_mgr("GQUERY", name), name)
end

function snax.kill(obj, ...)
	local t = snax.interface(obj.type)
	skynet_call(obj.handle, "snax", t.system.exit, ...)
end

function snax.self()
	return snax.bind(skynet.self(), SERVICE_NAME)
end

function snax.exit(...)
	snax.kill(snax.self(), ...)
end

local function raise_unless(ok, ...)
	if not ok then
		error(...)
	end
	return ...
end

function snax.hotfix(obj, source, ...)
	local t = snax.interface(obj.type)
	return raise_unless(skynet_call(obj.handle, "snax", t.system.hotfix, source, ...))
end

function snax.printf(fmt, ...)
	skynet.error(string.format(fmt, ...))
end

function snax.profile_info(obj)
	local t = snax.interface(obj.type)
	return skynet_call(obj.handle, "snax", t.system.profile)
end

return snax
