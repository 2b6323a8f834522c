-- A service whose code arrives by message (see skynet.service): `init` loads
-- the dumped main function and runs it as if it were a service file.
local skynet = require "skynet"

local service_name = ...
local cell = {}

function cell.init(code, ...)
	-- the main function calls skynet.start; run its start function here,
	-- inside this request, so the caller learns whether init succeeded
	local start_func
	skynet.start = function(f)
		start_func = f
	end
	skynet.dispatch("lua", function()
		error "No dispatch function"
	end)
	local main = assert(load(code, service_name))
	assert(skynet.pcall(main, ...))
	if start_func then
		start_func()
	end
	skynet.ret()
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		cell[cmd](...)
	end)
end)
