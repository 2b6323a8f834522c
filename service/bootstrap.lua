-- First Lua service (config `bootstrap`, default "snlua bootstrap"). It brings
-- up the launcher, the harbor slave, the shared services and finally the
-- `start` service, then exits.
local skynet = require "skynet.manager"
local service = require "skynet.service"

-- A node that cannot finish booting is of no use: say why and stop it.
local function fatal(msg)
	skynet.error(msg)
	-- ABORT also retires the logger, which may drop the line above
	io.stderr:write(msg, "\n")
	skynet.abort()
	error(msg, 0)
end

local function start_required(name)
	local ok, handle = pcall(skynet.newservice, name)
	if not ok then
		fatal(string.format("Bootstrap: can't start %s : %s", name, tostring(handle)))
	end
	return handle
end

-- Single node: the harbor slave is cdummy and this node is its own master.
local function single_node()
	if skynet.getenv "standalone" ~= nil then
		-- upstream only asserts here, leaving a node without services running
		fatal "config key `standalone` must not be set when harbor = 0"
	end
	skynet.setenv("standalone", "true")
	skynet.name(".cslave", start_required "cdummy")
	return true
end

-- Multi node: `standalone` (the master's listen address) makes this node the
-- master too; cslave connects to `master` and listens on `address`.
local function harbor_node(harbor_id)
	local standalone = skynet.getenv "standalone"
	for _, key in ipairs { "master", "address" } do
		if skynet.getenv(key) == nil then
			fatal(string.format("harbor = %d needs the config key `%s`", harbor_id, key))
		end
	end
	if standalone then
		start_required "cmaster"
	end
	skynet.name(".cslave", start_required "cslave")
	return standalone ~= nil
end

skynet.start(function()
	skynet.name(".launcher", assert(skynet.launch("snlua", "launcher")))

	local harbor_id = tonumber(skynet.getenv "harbor" or 0)
	local master
	if harbor_id == 0 then
		master = single_node()
	else
		master = harbor_node(harbor_id)
	end

	if master then
		skynet.name("DATACENTER", skynet.newservice "datacenterd")
	end
	skynet.newservice "service_mgr"

	if skynet.getenv "enablessl" == "true" then
		service.new("ltls_holder", function()
			local tls = require "ltls.init.c"
			tls.constructor()
		end)
	end

	-- a failing start service is reported by itself; bootstrap is done anyway
	pcall(skynet.newservice, skynet.getenv "start" or "main")
	skynet.exit()
end)
