-- Tracing helpers: skynet.trace, skynet.traceproto, skynet.tracecall and
-- skynet.trace_timeout. Loaded by skynet.lua on first use.

local c = require "skynet.core"
local traceback = debug.traceback
local format = string.format

return function(skynet, I)
	local proto = I.proto
	local tracetag = I.session_coroutine_tracetag

	local traceid = 0
	-- start tracing the current request; the tag follows its calls
	function skynet.trace(info)
		local co = I.running()
		skynet.error("TRACE", tracetag[co])
		if tracetag[co] == false then
			return	-- forced off for this protocol
		end
		traceid = traceid + 1
		local tag = format(":%08x-%d", skynet.self(), traceid)
		tracetag[co] = tag
		c.trace(tag, info and ("trace " .. info) or "trace")
	end

	-- flag true: trace every request; false: never; nil: only after skynet.trace()
	function skynet.traceproto(name, flag)
		local p = assert(proto[name])
		p.trace = flag
	end

	-- a rawcall carrying an explicit tag (clusteragent forwards remote tags)
	function skynet.tracecall(tag, addr, typename, msg, sz)
		c.trace(tag, "tracecall begin")
		c.send(addr, skynet.PTYPE_TRACE, 0, tag)
		local p = proto[typename]
		local session = I.send(addr, p.id, msg, sz)
		if not session then
			error("call to invalid address " .. skynet.address(addr), 2)
		end
		local rmsg, rsz = I.yield_call(addr, session)
		c.trace(tag, "tracecall end")
		return rmsg, rsz
	end

	local function traced_timeout(co_create, func, ti)
		local tb = I.timeout_traceback
		local co
		co = co_create(function()
			tb[co] = nil
			func()
		end)
		-- level 3: the caller of skynet.timeout
		tb[co] = traceback(format("TIMER %d+%d : ", c.now(), ti), 3)
		return co
	end

	-- record where each timeout was created; skynet.task shows it
	function skynet.trace_timeout(on)
		if on then
			I.timeout_traceback = I.timeout_traceback or setmetatable({}, { __mode = "k" })
			I.set_timeout_hook(traced_timeout)
		else
			I.timeout_traceback = nil
			I.set_timeout_hook(nil)
		end
	end
end
