-- skynet.queue(): a critical section shared by the threads of a service.
-- cs(f, ...) runs f once every earlier caller has left; a thread already
-- inside may enter again. Errors from f are re-raised with a traceback.

local skynet = require "skynet"
local coroutine_running = coroutine.running
local xpcall = xpcall
local traceback = debug.traceback
local tremove = table.remove

function skynet.queue()
	local owner	-- thread inside the section
	local depth = 0	-- nesting of the owner
	local waiting = {}

	local function leave(ok, ...)
		depth = depth - 1
		if depth == 0 then
			owner = tremove(waiting, 1)
			if owner then
				skynet.wakeup(owner)
			end
		end
		if not ok then
			error((...), 0)
		end
		return ...
	end

	return function(f, ...)
		local co = coroutine_running()
		if owner and owner ~= co then
			waiting[#waiting + 1] = co
			skynet.wait(co)
			assert(depth == 0)
		end
		owner = co
		depth = depth + 1
		return leave(xpcall(f, traceback, ...))
	end
end

return skynet.queue
