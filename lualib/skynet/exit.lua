-- Leaving and being left: skynet.exit, and the "error" protocol (a callee
-- failed, or is gone: skynet.term). Loaded by skynet.lua on first use.

local c = require "skynet.core"
local coroutine_yield = coroutine.yield
local coroutine_close = coroutine.close or function() return true end

return function(skynet, I)
	local csend = c.send
	local PTYPE_ERROR = skynet.PTYPE_ERROR
	local unresponse = I.unresponse
	local error_queue = I.error_queue
	local watching, each_watching = I.watching, I.each_watching

	local M = {}

	function M.error_dispatch(error_session, error_source)
		skynet.ignoreret()
		if error_session == 0 then
			-- error_source is gone: its pending replies and our calls to it die
			for resp, addr in pairs(unresponse) do
				if addr == error_source then
					unresponse[resp] = nil
				end
			end
			for session, addr in each_watching() do
				if addr == error_source then
					error_queue[#error_queue + 1] = session
				end
			end
		elseif watching(error_session) then
			error_queue[#error_queue + 1] = error_session
		end
	end

	function M.exit()
		local q = I.fork_queue
		for i = q.h, q.t do
			q[i] = nil
		end
		q.h, q.t = 1, 0
		skynet.send(".launcher", "lua", "REMOVE", skynet.self(), false)
		-- fail everyone waiting for us
		local session_coroutine_address = I.session_coroutine_address
		for co, session in pairs(I.session_coroutine_id) do
			local addr = session_coroutine_address[co]
			if session ~= 0 and addr then
				csend(addr, PTYPE_ERROR, session, "")
			end
		end
		local running = I.running()
		for _, co in I.each_session_co() do
			if type(co) == "thread" and co ~= running then
				coroutine_close(co)
			end
		end
		for resp in pairs(unresponse) do
			resp(false)
		end
		-- tell everyone we are calling that we are gone
		local callees = {}
		for _, addr in each_watching() do
			callees[addr] = true
		end
		for addr in pairs(callees) do
			csend(addr, PTYPE_ERROR, 0, "")
		end
		c.callback(function(_, _, _, session, source)
			if session ~= 0 and source ~= 0 then
				csend(source, PTYPE_ERROR, session, "")
			end
		end)
		c.command "EXIT"
		coroutine_yield "QUIT"
	end

	return M
end
