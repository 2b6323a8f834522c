-- snaxd <name>: runs the snax file <name>. Methods arrive on the "snax"
-- protocol by id; ids 1-4 are the system methods init, exit, hotfix, profile.
local skynet = require "skynet"
local snax_interface = require "snax.interface"
local profile = require "skynet.profile"
local snax = require "skynet.snax"

local snax_name = tostring(...)
local loader_path = skynet.getenv "snax_loader"
local loader = loader_path and assert(dofile(loader_path))
local methods, pattern = snax_interface(snax_name, _ENV, loader)
local snax_path = pattern:sub(1, pattern:find("?", 1, true) - 1) .. snax_name .. "/"
package.path = snax_path .. "?.lua;" .. package.path

SERVICE_NAME = snax_name
SERVICE_PATH = snax_path

-- method name -> { count = calls, time = seconds }
local profile_table = {}

local function account(name, ti)
	local stat = profile_table[name]
	if stat == nil then
		stat = { count = 0, time = 0 }
		profile_table[name] = stat
	end
	stat.count = stat.count + 1
	stat.time = stat.time + ti
end

local traceback = debug.traceback

local function reply(f, ...)
	return skynet.ret(skynet.pack(f(...)))
end

local function run_method(method, ...)
	local ok, err
	profile.start()
	if method[2] == "accept" then
		ok, err = xpcall(method[4], traceback, ...)
	else
		ok, err = xpcall(reply, traceback, method[4], ...)
	end
	account(method[3], profile.stop())
	assert(ok, err)
end

local function nothing() end

skynet.start(function()
	local initialized = false

	local system = {}
	function system.hotfix(_, ...)
		local hotfix = require "snax.hotfix"
		skynet.ret(skynet.pack(hotfix(methods, ...)))
	end
	function system.profile()
		skynet.ret(skynet.pack(profile_table))
	end
	function system.init(method, ...)
		assert(not initialized, "Already init")
		local init = method[4] or nothing
		init(...)
		skynet.ret()
		skynet.info_func(function()
			return profile_table
		end)
		initialized = true
	end
	function system.exit(method, ...)
		assert(initialized, "Never init")
		local exit = method[4] or nothing
		exit(...)
		skynet.ret()
		initialized = false
		skynet.exit()
	end

	local function dispatch(_, _, id, ...)
		local method = methods[id]
		if method[2] == "system" then
			system[method[3]](method, ...)
		else
			assert(initialized, "Init first")
			run_method(method, ...)
		end
	end
	skynet.dispatch("snax", dispatch)

	-- cluster.snax reaches a service through "lua" messages.
	function snax.enablecluster()
		skynet.dispatch("lua", dispatch)
	end
end)
