-- Helpers of the cluster scenarios (a library, not a service).
local skynet = require "skynet"
local socket = require "skynet.socket"

local L = {}

-- A loopback port that was free a moment ago (listen on 0, close).
function L.free_port()
	local id, _, port = socket.listen("127.0.0.1", 0)
	socket.close(id)
	return port
end

-- Wait (bounded, ti centiseconds, default 10 s) until the log file contains text.
function L.log_wait(text, ti)
	local path = assert(skynet.getenv "logger", "no log file configured")
	local deadline = skynet.now() + (ti or 1000)
	repeat
		local f = io.open(path)
		if f then
			local all = f:read "*a"
			f:close()
			if all:find(text, 1, true) then
				return true
			end
		end
		skynet.sleep(2)
	until skynet.now() > deadline
	return false
end

-- Retry f until it returns a true value (bounded, ti centiseconds, default
-- 10 s); returns that value, or nil.
function L.eventually(f, ti)
	local deadline = skynet.now() + (ti or 1000)
	repeat
		local v = f()
		if v then
			return v
		end
		skynet.sleep(2)
	until skynet.now() > deadline
end

function L.write_file(path, text)
	local f = assert(io.open(path, "wb"))
	f:write(text)
	f:close()
end

-- Run f(...) in a fork; returns a function that waits (bounded) for its
-- results: true, results... or false, error (or false, "timeout").
function L.spawn(f, ...)
	local args = table.pack(...)
	local done, result
	local waiter
	skynet.fork(function()
		result = table.pack(pcall(f, table.unpack(args, 1, args.n)))
		done = true
		if waiter then
			skynet.wakeup(waiter)
		end
	end)
	return function(ti)
		if not done then
			waiter = coroutine.running()
			skynet.timeout(ti or 300, function()
				if not done then
					skynet.wakeup(waiter)
				end
			end)
			skynet.wait(waiter)
			waiter = nil
		end
		if not done then
			return false, "timeout"
		end
		return table.unpack(result, 1, result.n)
	end
end

return L
