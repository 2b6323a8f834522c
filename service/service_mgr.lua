-- ".service" (and "SERVICE" on the master): one instance per name for
-- skynet.uniqueservice / queryservice. Every command replies `result` or
-- `nil, error`.
local skynet = require "skynet.manager"

local cmd = {}
-- name -> handle (ready) | error string (launch failed) | table (in progress:
-- `launch` = the launching request, array part = requests waiting for it)
local service = {}

local snax	-- required on the first snax launch only
local function snax_launcher(...)
	snax = snax or require "skynet.snax"
	return snax.rawnewservice(...)
end

local function request_info()
	local session, source = skynet.context()
	return { co = coroutine.running(), session = session, source = source }
end

local function launch(name, func, ...)
	local entry = service[name]
	local ok, result = pcall(func, ...)
	if ok then
		service[name] = result
	else
		result = tostring(result)
		service[name] = result
	end
	for _, waiter in ipairs(entry) do
		skynet.wakeup(waiter.co)
	end
	if not ok then
		error(result)
	end
	return result
end

-- Return the handle registered under name. With func (a launch), the first
-- caller runs func(...) and the others wait for it; without func (a query),
-- wait until somebody launches it.
local function waitfor(name, func, ...)
	local entry = service[name]
	if type(entry) == "number" then
		return entry
	elseif type(entry) == "string" then
		error(entry)
	elseif entry == nil then
		entry = {}
		service[name] = entry
	end

	if func and not entry.launch then
		entry.launch = request_info()
		return launch(name, func, ...)
	end

	table.insert(entry, request_info())
	skynet.wait()
	entry = service[name]
	if type(entry) == "string" then
		error(entry)
	end
	assert(type(entry) == "number")
	return entry
end

-- "@name" is the global key of name
local function real_name(name)
	if name:byte() == 64 then	-- '@'
		return name:sub(2)
	end
	return name
end

function cmd.LAUNCH(name, subname, ...)
	local real = real_name(name)
	if real == "snaxd" then
		return waitfor(name .. "." .. subname, snax_launcher, subname, ...)
	end
	return waitfor(name, skynet.newservice, real, subname, ...)
end

function cmd.QUERY(name, subname)
	if real_name(name) == "snaxd" then
		return waitfor(name .. "." .. subname)
	end
	return waitfor(name)
end

-- Describe an entry still in progress: who is being launched, the stacks of
-- its init and of the launching caller, then every caller waiting for it.
local function describe_pending(entry)
	local lines = {}
	local launching = entry.launch
	if launching then
		local session = skynet.task(launching.co)
		local address = skynet.call(".launcher", "lua", "QUERY", session)
		if address then
			table.insert(lines, "Init as " .. skynet.address(address))
			table.insert(lines, skynet.call(address, "debug", "TASK", "init"))
			table.insert(lines, "Launching from " .. skynet.address(launching.source))
			table.insert(lines, skynet.call(launching.source, "debug", "TASK", launching.session))
		end
	end
	if #entry > 0 then
		table.insert(lines, "Querying:")
		for _, waiter in ipairs(entry) do
			local stack = skynet.call(waiter.source, "debug", "TASK", waiter.session)
			table.insert(lines, skynet.address(waiter.source) .. " " .. tostring(stack))
		end
	end
	return table.concat(lines, "\n")
end

local function list_service()
	local result = {}
	for name, entry in pairs(service) do
		local t = type(entry)
		if t == "number" then
			result[name] = skynet.address(entry)
		elseif t == "string" then
			result[name] = "Error: " .. entry
		else
			result[name] = describe_pending(entry)
		end
	end
	return result
end

-- The master manages global ("@name") services itself and merges the lists
-- of every slave manager that reported to it.
local function register_global()
	local managers = {}

	function cmd.GLAUNCH(name, ...)
		return cmd.LAUNCH("@" .. name, ...)
	end

	function cmd.GQUERY(name, ...)
		return cmd.QUERY("@" .. name, ...)
	end

	function cmd.REPORT(manager)
		managers[manager] = true
	end

	local function merge_remote(all, manager)
		local suffix = "@" .. skynet.harbor(manager)
		for name, desc in pairs(skynet.call(manager, "lua", "LIST")) do
			all[name .. suffix] = desc
		end
	end

	function cmd.LIST()
		local result = {}
		for manager in pairs(managers) do
			pcall(merge_remote, result, manager)
		end
		for name, desc in pairs(list_service()) do
			result[name] = desc
		end
		return result
	end
end

-- A slave forwards global requests to the master's SERVICE and caches them.
local function register_local()
	local function forward(command, name, ...)
		local global_name = "@" .. name
		local key = global_name
		if name == "snaxd" then
			key = global_name .. "." .. (...)
		end
		return waitfor(key, skynet.call, "SERVICE", "lua", command, global_name, ...)
	end

	function cmd.GLAUNCH(...)
		return forward("LAUNCH", ...)
	end

	function cmd.GQUERY(...)
		return forward("QUERY", ...)
	end

	cmd.LIST = list_service

	skynet.call("SERVICE", "lua", "REPORT", skynet.self())
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, command, ...)
		local f = cmd[command]
		if not f then
			skynet.ret(skynet.pack(nil, "Invalid command " .. command))
			return
		end
		local ok, result = pcall(f, ...)
		if ok then
			skynet.ret(skynet.pack(result))
		else
			skynet.ret(skynet.pack(nil, result))
		end
	end)

	local other = skynet.localname ".service"
	if other then
		skynet.error(".service is already register by ", skynet.address(other))
		skynet.exit()
	end
	skynet.register ".service"

	if skynet.getenv "standalone" then
		skynet.register "SERVICE"
		register_global()
	else
		register_local()
	end
end)
