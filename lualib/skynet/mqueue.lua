-- Deprecated (use skynet.queue): handle "queue" (PTYPE 8) messages one at a
-- time, in arrival order, in a single coroutine.
--	mqueue.register(f)	f(...) handles each message; its results are the reply
--	mqueue.call(addr, ...) / mqueue.send(addr, ...) / mqueue.size()
local skynet = require "skynet"
local core = require "skynet.core"

local mqueue = {}
local registered = false
local idle_thread	-- the dispatcher, while it waits for messages
local queue = {}

skynet.register_protocol {
	name = "queue",
	id = skynet.PTYPE_QUEUE or 8,
	pack = skynet.pack,
	unpack = skynet.unpack,
	dispatch = function(session, source, ...)
		table.insert(queue, { session = session, source = source, n = select("#", ...), ... })
		if idle_thread then
			skynet.wakeup(idle_thread)
			idle_thread = nil
		end
	end,
}

local function dispatcher(f)
	while true do
		local msg = table.remove(queue, 1)
		if not msg then
			idle_thread = coroutine.running()
			skynet.wait()
		elseif msg.session == 0 then
			local ok, result = pcall(f, table.unpack(msg, 1, msg.n))
			if not ok or result ~= nil then
				-- a new dispatcher keeps the queue going while this one reports
				skynet.fork(dispatcher, f)
				if ok then
					error(string.format("[:%x] send a message to [:%x] return something", msg.source, skynet.self()))
				end
				error(string.format("[:%x] send a message to [:%x] throw an error : %s", msg.source, skynet.self(), tostring(result)))
			end
		else
			-- the reply carries pcall's status; mqueue.call re-raises errors
			core.send(msg.source, skynet.PTYPE_RESPONSE, msg.session, skynet.pack(pcall(f, table.unpack(msg, 1, msg.n))))
		end
	end
end

function mqueue.register(f)
	assert(not registered, "mqueue.register called twice")
	registered = true
	skynet.fork(dispatcher, f)
end

local function unwrap(ok, ...)
	if not ok then
		error(...)
	end
	return ...
end

function mqueue.call(addr, ...)
	return unwrap(skynet.call(addr, "queue", ...))
end

function mqueue.send(addr, ...)
	return skynet.send(addr, "queue", ...)
end

function mqueue.size()
	return #queue
end

return mqueue
