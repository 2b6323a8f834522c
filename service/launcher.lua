-- The launcher (".launcher") starts snlua and C services for newservice and
-- keeps the list of what it started. A newservice call is answered only when
-- the new service reports LAUNCHOK (its start function returned) or dies.
local skynet = require "skynet"
local core = require "skynet.core"
require "skynet.manager"

local services = {}	-- handle -> "module args"
local pending = {}	-- handle -> response closure of the LAUNCH request still waiting
local launch_session = {}	-- handle -> session of that LAUNCH request (for QUERY)
local command = {}

-- Commands returning NORET answer (or deliberately do not answer) by themselves.
local NORET = {}

local function forget_launch(handle)
	pending[handle] = nil
	launch_session[handle] = nil
end

function command.LIST()
	local list = {}
	for handle, desc in pairs(services) do
		list[skynet.address(handle)] = desc
	end
	return list
end

-- Ask every launched service a debug question at once; `format` turns each
-- answer (or "ERROR" / "TIMEOUT") into the value listed under its address.
local function survey(ti, format, ...)
	local req = skynet.request()
	local unanswered = {}
	for handle in pairs(services) do
		local r = { handle, "debug", ... }
		req:add(r)
		unanswered[r] = handle
	end
	local list = {}
	for r, resp in req:select(ti) do
		local handle = r[1]
		local answer = "ERROR"	-- call failed (false) or address invalid (nil)
		if resp then
			answer = resp[1]
		end
		list[skynet.address(handle)] = format(answer, handle)
		unanswered[r] = nil
	end
	-- LuaJIT has no to-be-closed variables: cancel what is still outstanding.
	req:close()
	for _, handle in pairs(unanswered) do
		list[skynet.address(handle)] = format("TIMEOUT", handle)
	end
	return list
end

function command.STAT(_, ti)
	return survey(ti, function(stat) return stat end, "STAT")
end

local function format_mem(kb, handle)
	if type(kb) == "number" then
		return string.format("%.2f Kb (%s)", kb, services[handle])
	end
	return string.format("%s (%s)", kb, services[handle])
end

function command.MEM(_, ti)
	return survey(ti, format_mem, "MEM")
end

function command.GC(source, ti)
	for handle in pairs(services) do
		skynet.send(handle, "debug", "GC")
	end
	return command.MEM(source, ti)
end

function command.KILL(_, handle)
	skynet.kill(handle)
	local desc = services[handle]
	services[handle] = nil
	return { [skynet.address(handle)] = tostring(desc) }
end

-- Sent by skynet.exit (kill == false) and skynet.kill (kill == true); the
-- service may be gone already, so never reply.
function command.REMOVE(_, handle, kill)
	services[handle] = nil
	local response = pending[handle]
	if response then
		-- exit during init: newservice returns nil; killed: newservice fails
		response(not kill)
		forget_launch(handle)
	end
	return NORET
end

local function launch(module, ...)
	local param = table.concat({ ... }, " ")
	local handle = skynet.launch(module, param)
	local session = skynet.context()
	local response = skynet.response()
	if not handle then
		response(false)
		return
	end
	services[handle] = module .. " " .. param
	pending[handle] = response
	launch_session[handle] = session
	return handle
end

function command.LAUNCH(_, module, ...)
	launch(module, ...)
	return NORET
end

function command.LOGLAUNCH(_, module, ...)
	local handle = launch(module, ...)
	if handle then
		core.command("LOGON", skynet.address(handle))
	end
	return NORET
end

-- init failed (skynet.start error, or snlua could not load the service)
function command.ERROR(handle)
	local response = pending[handle]
	if response then
		response(false)
		forget_launch(handle)
	end
	services[handle] = nil
	return NORET
end

-- init succeeded
function command.LAUNCHOK(handle)
	local response = pending[handle]
	if response then
		response(true, handle)
		forget_launch(handle)
	end
	return NORET
end

-- Which service is being launched for the LAUNCH request with this session?
function command.QUERY(_, session)
	for handle, s in pairs(launch_session) do
		if s == session then
			return handle
		end
	end
end

-- C services (and snlua itself on a load failure) report with text messages.
skynet.register_protocol {
	name = "text",
	id = skynet.PTYPE_TEXT,
	unpack = skynet.tostring,
	dispatch = function(_, source, cmd)
		if cmd == "" then
			command.LAUNCHOK(source)
		elseif cmd == "ERROR" then
			command.ERROR(source)
		else
			error("Invalid text command " .. cmd)
		end
	end,
}

skynet.dispatch("lua", function(_, source, cmd, ...)
	local f = command[string.upper(cmd)]
	if not f then
		skynet.ret(skynet.pack { "Unknown command" })
		return
	end
	local result = f(source, ...)
	if result ~= NORET then
		skynet.ret(skynet.pack(result))
	end
end)

skynet.start(function() end)
