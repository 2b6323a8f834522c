-- Helper for boot_mqueue: a skynet.mqueue service.
--	add(a, b) -> a + b;  fail() raises;  log(x) (send) records x;  logged() -> records
local skynet = require "skynet"
local mqueue = require "skynet.mqueue"

local logged = {}
local handler = {}

function handler.add(a, b)
	return a + b
end

function handler.fail()
	error "mqueue handler failed"
end

function handler.log(x)
	table.insert(logged, x)
	-- a blocking call inside the handler must not let later messages overtake
	skynet.sleep(1)
end

function handler.logged()
	return table.concat(logged, ",")
end

skynet.start(function()
	mqueue.register(function(cmd, ...)
		return handler[cmd](...)
	end)
end)
