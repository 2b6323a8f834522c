-- skynet.request: issue several calls at once and take the answers as they
-- come. Loaded by skynet.lua on first use.
--
--	local req = skynet.request { addr, "lua", ... } { addr2, "lua", ... }
--	for r, resp in req:select(timeout) do ... end
--
-- resp is a table of the unpacked results (with n), false if the call failed,
-- nil for an invalid address (those come first). After a timeout the loop
-- ends and req.timeout is true. The loop cancels what is left when it ends;
-- after a `break`, call req:close() (LuaJIT has no to-be-closed variables).

local c = require "skynet.core"
local unpack = table.unpack or unpack
local pack = table.pack
local coroutine_create = coroutine.create
local coroutine_yield = coroutine.yield
local next = next

return function(skynet, I)
	local proto = I.proto
	local set_session_co = I.set_session_co
	local session_coroutine_tracetag = I.session_coroutine_tracetag
	local set_watching = I.set_watching

	local meta = {}
	meta.__index = meta

	local function send_all(self, thread)
		local sessions, invalid, n = {}, nil, 0
		local tag = session_coroutine_tracetag[I.running()]
		for i = 1, #self do
			local r = self[i]
			local addr = r[1]
			local p = proto[r[2]]
			assert(p.unpack)
			if tag then
				c.trace(tag, "call", 4)
				c.send(addr, skynet.PTYPE_TRACE, 0, tag)
			end
			local session = I.send(addr, p.id, p.pack(unpack(r, 3, r.n)))
			if session then
				sessions[session] = r
				set_watching(session, addr)
				set_session_co(session, thread)
				n = n + 1
			else
				invalid = invalid or {}
				invalid[#invalid + 1] = r
			end
		end
		return sessions, invalid, n
	end

	-- Owns every session of the request; the framework resumes it with
	-- (ok, msg, sz, session) for each answer, failure or the timeout.
	local function collector(self)
		while true do
			local ok, msg, sz, session = coroutine_yield "SUSPEND"
			if session == self.__timeout then
				self.__timeout = nil
				self.timeout = true
			else
				set_watching(session, nil)
				local r = self.__sessions[session]
				if r then
					if ok then
						self.__resp[session] = pack(proto[r[2]].unpack(msg, sz))
					else
						self.__resp[session] = false
					end
				end
			end
			skynet.wakeup(self)
		end
	end

	function meta:add(obj)
		assert(type(obj) == "table" and not self.__thread)
		self[#self + 1] = obj
		return self
	end

	meta.__call = meta.add

	function meta:close()
		local sessions = self.__sessions
		if sessions and self.__pending > 0 then
			local resp = self.__resp
			for session in pairs(sessions) do
				if resp[session] == nil then
					set_session_co(session, "BREAK")
					set_watching(session, nil)
				end
			end
			self.__pending = 0
		end
		if self.__timeout then
			set_session_co(self.__timeout, "BREAK")
			self.__timeout = nil
		end
	end

	meta.__close = meta.close

	local function iterate(self)
		local invalid = self.__invalid
		if invalid then
			local r = table.remove(invalid)
			if r then
				return r
			end
			self.__invalid = nil
		end
		local resp = self.__resp
		local session, result = next(resp)
		while session == nil do
			if self.__pending == 0 or self.timeout then
				self:close()
				return
			end
			skynet.wait(self)
			session, result = next(resp)
		end
		self.__pending = self.__pending - 1
		local r = self.__sessions[session]
		resp[session] = nil
		self.__sessions[session] = nil
		return r, result
	end

	function meta:select(timeout)
		assert(self.__thread == nil)
		local thread = coroutine_create(collector)
		self.__thread = thread
		self.__resp = {}
		self.__sessions, self.__invalid, self.__pending = send_all(self, thread)
		if timeout then
			local session = I.timeout(timeout)
			self.__timeout = session
			set_session_co(session, thread)
		end
		I.start(thread, self)
		return iterate, self, nil, self
	end

	function skynet.request(obj)
		local req = setmetatable({}, meta)
		if obj then
			return req(obj)
		end
		return req
	end
end
