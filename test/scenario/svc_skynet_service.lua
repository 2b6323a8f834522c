-- Launched by skynet_service with a mode as first argument.
local skynet = require "skynet"
local mode, parent = ...

SKYNET_TEST_ORDER = { "main" }
local order = SKYNET_TEST_ORDER
local args = table.pack(...)
skynet.init(function() order[#order + 1] = "init1" end)
local initmod = require "svc_skynet_initmod"

local gate = {}
local CMD = {}

function CMD.info()
	local types = {}
	for i = 1, args.n do
		types[i] = type(args[i])
	end
	return {
		name = SERVICE_NAME,
		path = SERVICE_PATH,
		args = args,
		types = table.concat(types, ","),
		order = table.concat(order, ","),
		require_is_skynet = require == (require "skynet.require").require,
		initmod = initmod.loaded,
	}
end

function CMD.ping()
	return "pong"
end

function CMD.go()
	skynet.wakeup(gate)
end

skynet.dispatch("lua", function(session, _, cmd, ...)
	local r = table.pack(CMD[cmd](...))
	if session ~= 0 then
		skynet.retpack(table.unpack(r, 1, r.n))
	end
end)

skynet.start(function()
	order[#order + 1] = "start"
	if mode == "fail" then
		error "start-failed-5e1c"
	elseif mode == "exit" then
		skynet.exit()
	elseif mode == "block" then
		-- the parent pings us while we block, then lets us go
		skynet.send(tonumber(parent), "lua", "blocked", skynet.self())
		skynet.wait(gate)
	end
end)
