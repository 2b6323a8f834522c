-- Inspecting and killing the threads of a service: skynet.task,
-- skynet.uniqtask, skynet.killthread. Loaded by skynet.lua on first use.

local c = require "skynet.core"
local traceback = debug.traceback
local format = string.format

return function(skynet, I)
	local session_co, set_session_co, each_session_co = I.session_co, I.set_session_co, I.each_session_co
	local session_coroutine_id = I.session_coroutine_id
	local session_coroutine_address = I.session_coroutine_address
	local session_coroutine_tracetag = I.session_coroutine_tracetag
	local watching, set_watching = I.watching, I.set_watching
	local sleep_session = I.sleep_session
	local fork_queue = I.fork_queue

	local function stack_of(co)
		if co == "BREAK" then
			return co
		end
		local tb = I.timeout_traceback
		return tb and tb[co] or traceback(co)
	end

	-- task() -> count; task(t) fills t; task(session) / task("init") ->
	-- traceback; task(co) -> its session
	function skynet.task(what)
		if what == nil then
			local n = 0
			for _, co in each_session_co() do
				if co ~= "BREAK" then
					n = n + 1
				end
			end
			return n
		end
		if what == "init" then
			local co = I.init_thread()
			if co then
				return traceback(co)
			end
			return
		end
		local kind = type(what)
		if kind == "table" then
			for session, co in each_session_co() do
				what[format("%s session: %d", tostring(co), session)] = stack_of(co)
			end
		elseif kind == "number" then
			local co = session_co(what)
			if co then
				return stack_of(co)
			end
			return "No session"
		elseif kind == "thread" then
			for session, co in each_session_co() do
				if co == what then
					return session
				end
			end
		end
	end

	function skynet.uniqtask()
		local groups = {}	-- stack -> { count, sessions... }
		for session, co in each_session_co() do
			local stack = stack_of(co)
			local g = groups[stack]
			if not g then
				g = { count = 0 }
				groups[stack] = g
			end
			g.count = g.count + 1
			if g.count < 10 then
				g[#g + 1] = session
			end
		end
		local ret = {}
		for stack, g in pairs(groups) do
			local list = table.concat(g, ",")
			if g.count > 10 then
				list = list .. "..."
			end
			ret[format("%d\tsessions:[%s]\n", g.count, list)] = stack
		end
		return ret
	end

	local function drop_from_forks(co)
		local t = fork_queue.t
		for i = fork_queue.h, t do
			if fork_queue[i] == co then
				for j = i, t - 1 do
					fork_queue[j] = fork_queue[j + 1]
				end
				fork_queue[t] = nil
				fork_queue.t = t - 1
				return true
			end
		end
	end

	-- thread: a thread object, or a substring of tostring(thread)
	function skynet.killthread(thread)
		local session
		if type(thread) == "string" then
			for s, co in each_session_co() do
				if tostring(co):find(thread, 1, true) then
					session = s
					break
				end
			end
		else
			if drop_from_forks(thread) then
				return thread
			end
			for s, co in each_session_co() do
				if co == thread then
					session = s
					break
				end
			end
		end
		local co = session and session_co(session)
		if type(co) ~= "thread" then
			return
		end
		local addr = session_coroutine_address[co]
		if addr then
			-- answer the request it was serving
			local req = session_coroutine_id[co]
			if req and req > 0 then
				c.send(addr, skynet.PTYPE_ERROR, req, "")
			end
			session_coroutine_id[co] = nil
			session_coroutine_address[co] = nil
			session_coroutine_tracetag[co] = nil
		end
		if watching(session) then
			set_session_co(session, "BREAK")	-- the answer will still come
			set_watching(session, nil)
		else
			set_session_co(session, nil)
		end
		for token, s in pairs(sleep_session) do
			if s == session then
				sleep_session[token] = nil
				break
			end
		end
		if coroutine.close then
			coroutine.close(co)
		end
		return co
	end
end
