-- The debug console's go-between for one `debug <address>` session: it opens
-- a debugchannel, asks the target to enter remote debug mode with it
-- (debug REMOTEDEBUG), then feeds it the console's lines. `start` answers
-- once the target leaves debug mode (or failed to enter it), then the agent
-- exits.
local skynet = require "skynet"
local debugchannel = require "skynet.debugchannel"

local CMD = {}
local channel
local target

function CMD.start(address, fd)
	assert(channel == nil, "start more than once")
	target = address
	skynet.error("Attach to " .. skynet.address(address))
	local handle
	channel, handle = debugchannel.create()
	local ok = pcall(skynet.call, address, "debug", "REMOTEDEBUG", fd, handle)
	if ok then
		skynet.retpack(true)
	else
		skynet.retpack(false, "Debugger attach failed")
	end
	skynet.exit()
end

function CMD.cmd(line)
	if channel then
		channel:write(line)
		-- any message makes the target read the channel; don't wait for
		-- its 0.1 s idle tick
		pcall(skynet.send, target, "debug", "PING")
	end
end

function CMD.ping()
	skynet.ret()
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = CMD[cmd]
		if f == nil then
			error("debug_agent: unknown command " .. tostring(cmd))
		end
		f(...)
	end)
end)
