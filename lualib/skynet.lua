-- The service-side framework: message dispatch, sessions, coroutines, timers.
-- Every snlua service loads this file, so it stays small: rarely used parts
-- (request/select, task inspection, tracing, the debug commands, exit and
-- the error protocol, stat/localname/harbor) live in separate files that are
-- loaded the first time they are needed.

local c = require "skynet.core"
local skynet_require = require "skynet.require"

local csend = c.send
local ctrace = c.trace
local cgenid = c.genid
local cintcommand = c.intcommand
local ctostring = c.tostring

local assert = assert
local error = error
local pairs = pairs
local pcall = pcall
local select = select
local tostring = tostring
local type = type
local tremove = table.remove
local unpack = table.unpack or unpack
local traceback = debug.traceback
local format = string.format

local coroutine_create = coroutine.create
local coroutine_yield = coroutine.yield
local coroutine_running = coroutine.running
local coroutine_close = coroutine.close or function() return true end
-- coroutine.resume is skynet.profile's timed resume; while no thread is
-- profiled, LuaJIT's own (much cheaper) resume does the same. A thread that
-- starts profiling while resumed that way is accounted by profile_account
-- when it yields.
local timed_resume = coroutine.resume
local profile_state = debug.getregistry()["skynet.profile"]
local plain_resume = profile_state and profile_state.resume or timed_resume
local profile_account = profile_state and profile_state.account
profile_state = profile_state or { 1 }

local PTYPE_RESPONSE = 1
local PTYPE_ERROR = 7
local PTYPE_TRACE = 12

-- The skynet thread that runs now. Inside a skynet.coroutine it stays the
-- root thread, so sessions and trace tags follow the request, not the helper.
local running_thread
local init_thread

local function resumed(co, ...)
	if profile_state[1] ~= 0 then
		profile_account(co)
	end
	return ...
end

local function coroutine_resume(co, ...)
	running_thread = co
	if profile_state[1] == 0 then
		return resumed(co, plain_resume(co, ...))
	end
	return timed_resume(co, ...)
end

local proto = {}
local skynet = {
	PTYPE_TEXT = 0,
	PTYPE_RESPONSE = PTYPE_RESPONSE,
	PTYPE_MULTICAST = 2,
	PTYPE_CLIENT = 3,
	PTYPE_SYSTEM = 4,
	PTYPE_HARBOR = 5,
	PTYPE_SOCKET = 6,
	PTYPE_ERROR = PTYPE_ERROR,
	PTYPE_QUEUE = 8,	-- deprecated skynet.mqueue
	PTYPE_DEBUG = 9,
	PTYPE_LUA = 10,
	PTYPE_SNAX = 11,
	PTYPE_TRACE = PTYPE_TRACE,
}
skynet._proto = proto

function skynet.register_protocol(class)
	local name, id = class.name, class.id
	assert(proto[name] == nil and proto[id] == nil)
	assert(type(name) == "string" and type(id) == "number" and id >= 0 and id <= 255)
	proto[name] = class
	proto[id] = class
end

---------------------------------------------------------------------------
-- Session tables. Sessions are fresh numbers, so a plain table keyed by them
-- keeps adding keys and deleting them; LuaJIT only reclaims deleted slots
-- when it rehashes, and a call would pay for a rehash every few sessions.
-- Here a session lives in a ring slot picked by its low bits (array part,
-- never rehashed), or in `spill` when that slot holds an older session.
-- The ring grows while it is more than half full.

local tnew
do
	local ok, new = pcall(require, "table.new")
	tnew = ok and new or function() return {} end
end

local function session_table()
	local size, used = 8, 0
	local keys, vals = tnew(size, 0), tnew(size, 0)
	local spill = {}

	local function get(session)
		local i = session % size
		if keys[i] == session then
			return vals[i]
		end
		return spill[session]
	end

	local function set(session, v)
		local i = session % size
		local k = keys[i]
		if k == session then
			if v == nil then
				keys[i], vals[i] = nil, nil
				used = used - 1
			else
				vals[i] = v
			end
		elseif k == nil and v ~= nil and spill[session] == nil then
			keys[i], vals[i] = session, v
			used = used + 1
		elseif k == nil or v == nil or used * 2 < size or size >= 4096 then
			spill[session] = v
		else
			-- grow: file everything again in a ring twice the size
			local okeys, ovals, ospill = keys, vals, spill
			size, used = size * 2, 0
			keys, vals, spill = tnew(size, 0), tnew(size, 0), {}
			for j = 0, size / 2 - 1 do
				if okeys[j] ~= nil then
					set(okeys[j], ovals[j])
				end
			end
			for s, sv in pairs(ospill) do
				set(s, sv)
			end
			return set(session, v)
		end
	end

	-- every (session, value), as pairs() would; entries may be removed meanwhile
	local function each()
		local i, s = -1, nil
		return function()
			while i < size - 1 do
				i = i + 1
				if keys[i] ~= nil then
					return keys[i], vals[i]
				end
			end
			local v
			s, v = next(spill, s)
			return s, v
		end
	end

	return get, set, each
end

-- session -> waiting thread, or "BREAK" when the answer must be dropped
local session_co, set_session_co, each_session_co = session_table()
-- request being served by a thread: its session and the requester
local session_coroutine_id = {}
local session_coroutine_address = {}
-- trace tag of a thread: string, false (tracing forced off) or nil
local session_coroutine_tracetag = {}
-- detached reply closures (skynet.response) -> requester
local unresponse = {}
-- sessions of our outstanding calls -> callee
local watching, set_watching, each_watching = session_table()

local sleep_session = {}	-- token -> session of its sleep/wait
local wakeup_queue = {}	-- tokens to wake at the next suspend point
local error_queue = {}	-- call sessions to fail at the next suspend point
local fork_queue = { h = 1, t = 0 }
local trace_source = {}	-- source -> tag for its next request

---------------------------------------------------------------------------
-- Session allocation guard.
-- Sessions are int32 and wrap to 1 after 0x7fffffff. A session still pending
-- from the previous lap must never be handed out again. Far from any pending
-- session nothing is checked; inside the zone spanned by pending sessions,
-- every session that is still in use is burnt before it can be allocated.

local session_alloc, timeout_alloc, wait_alloc
do
	local MARGIN = 0x1000
	local MAX = 0x7fffffff
	-- the first lap can't conflict before here
	local zone_low, zone_high = 0x70000000, 0x70000000 + MARGIN
	local in_zone = false

	local function redraw(session)
		local low, high = session, session
		for s in each_session_co() do
			if s < low then
				low = s
			elseif s > high then
				high = s
			end
		end
		zone_low, zone_high = low - MARGIN, high
	end

	-- nxt is the session the core hands out next
	local function skip_used(session, nxt)
		while session_co(nxt) ~= nil do
			nxt = cgenid()	-- burn it: the core hands out exactly nxt
			nxt = nxt < MAX and nxt + 1 or 1
		end
		if nxt > zone_high then
			-- past every pending session: safe until the next lap
			in_zone = false
			redraw(session)
		end
	end

	local function guard(session)
		if session then
			local nxt = session < MAX and session + 1 or 1
			if in_zone then
				skip_used(session, nxt)
			elseif nxt > zone_low and nxt <= zone_high then
				in_zone = true
				redraw(session)
				skip_used(session, nxt)
			end
		end
		return session
	end

	function session_alloc(addr, id, msg, sz)
		local session = csend(addr, id, nil, msg, sz)
		-- guard's own test, done here to save a call on every call
		if session and (in_zone or (session >= zone_low and session < zone_high) or session == MAX) then
			guard(session)
		end
		return session
	end

	function timeout_alloc(ti)
		return guard(cintcommand("TIMEOUT", ti))
	end

	function wait_alloc()
		return guard(cgenid())
	end
end

---------------------------------------------------------------------------
-- Thread pool. A pooled thread runs co_loop: it serves one function call,
-- cleans up after it, parks itself in the pool and waits for the next
-- (f, args...) pair. Dispatch hands both over in a single resume.

local coroutine_pool = setmetatable({}, { __mode = "kv" })
local suspend

local function forgot_response(f, session, co)
	local info = debug.getinfo(f, "S")
	skynet.error(format("Maybe forgot response session %s from %s : %s:%d",
		session, skynet.address(session_coroutine_address[co]),
		info.source, info.linedefined))
end

local function co_loop(f, ...)
	f(...)
	local co = running_thread
	local session = session_coroutine_id[co]
	if session then
		if session ~= 0 then
			forgot_response(f, session, co)
		end
		session_coroutine_id[co] = nil
	end
	local tag = session_coroutine_tracetag[co]
	if tag ~= nil then
		if tag then
			ctrace(tag, "end")
		end
		session_coroutine_tracetag[co] = nil
	end
	session_coroutine_address[co] = nil
	coroutine_pool[#coroutine_pool + 1] = co
	return co_loop(coroutine_yield "SUSPEND")
end

local function new_thread()
	local n = #coroutine_pool
	if n > 0 then
		local co = coroutine_pool[n]
		coroutine_pool[n] = nil
		return co
	end
	return coroutine_create(co_loop)
end

-- Runs f with whatever the thread's next resume passes.
local function deferred(f)
	return f(coroutine_yield())
end

-- A thread bound to f, started later by an ordinary resume.
local function co_create(f)
	local co = new_thread()
	local running = running_thread
	coroutine_resume(co, deferred, f)
	running_thread = running
	return co
end

---------------------------------------------------------------------------
-- Suspend points

local function dispatch_error_queue()
	local session = tremove(error_queue, 1)
	if session then
		local co = session_co(session)
		set_session_co(session, nil)
		if type(co) == "thread" then
			return suspend(co, coroutine_resume(co, false, nil, nil, session))
		end
		return dispatch_error_queue()
	end
end

local function dispatch_wakeup()
	while wakeup_queue[1] ~= nil do
		local token = tremove(wakeup_queue, 1)
		local session = sleep_session[token]
		if session then
			local co = session_co(session)
			if type(co) == "thread" then
				local tag = session_coroutine_tracetag[co]
				if tag then
					ctrace(tag, "resume")
				end
				set_session_co(session, "BREAK")
				return suspend(co, coroutine_resume(co, false, "BREAK", nil, session))
			end
		end
	end
	if error_queue[1] ~= nil then
		return dispatch_error_queue()
	end
end

function suspend(co, ok, command)
	if not ok then
		-- the thread died with an error: fail the request it was serving
		local session = session_coroutine_id[co]
		if session then
			if session ~= 0 then
				local tag = session_coroutine_tracetag[co]
				if tag then
					ctrace(tag, "error")
				end
				csend(session_coroutine_address[co], PTYPE_ERROR, session, "")
			end
			session_coroutine_id[co] = nil
		end
		session_coroutine_address[co] = nil
		session_coroutine_tracetag[co] = nil
		local tb = traceback(co, tostring(command))
		coroutine_close(co)
		error(tb)
	end
	if command == "SUSPEND" then
		if wakeup_queue[1] ~= nil or error_queue[1] ~= nil then
			return dispatch_wakeup()
		end
	elseif command == "QUIT" then
		coroutine_close(co)
	elseif command == "USER" then
		error("Call skynet.coroutine.yield out of skynet.coroutine.resume\n" .. traceback(co))
	elseif command ~= nil then
		error("Unknown command : " .. tostring(command) .. "\n" .. traceback(co))
	end
end

---------------------------------------------------------------------------
-- Timers and waiting

-- set by skynet.trace_timeout(true): creates the thread and records where
local timeout_hook

function skynet.timeout(ti, func)
	local session = timeout_alloc(ti)
	assert(session)
	local co
	if timeout_hook then
		co = timeout_hook(co_create, func, ti)
	else
		co = co_create(func)
	end
	assert(session_co(session) == nil)
	set_session_co(session, co)
	return co
end

local function suspend_sleep(session, token)
	local tag = session_coroutine_tracetag[running_thread]
	if tag then
		ctrace(tag, "sleep", 2)
	end
	set_session_co(session, running_thread)
	sleep_session[token] = session
	return coroutine_yield "SUSPEND"
end

function skynet.sleep(ti, token)
	token = token or coroutine_running()
	assert(sleep_session[token] == nil, "token duplicative")
	local session = timeout_alloc(ti)
	assert(session)
	local ok, why = suspend_sleep(session, token)
	sleep_session[token] = nil
	if ok then
		return
	end
	if why == "BREAK" then
		return "BREAK"
	end
	error(why)
end

function skynet.yield()
	return skynet.sleep(0)
end

function skynet.wait(token)
	token = token or coroutine_running()
	assert(sleep_session[token] == nil, "token duplicative")
	local session = wait_alloc()
	suspend_sleep(session, token)
	sleep_session[token] = nil
	set_session_co(session, nil)
end

function skynet.wakeup(token)
	if sleep_session[token] then
		wakeup_queue[#wakeup_queue + 1] = token
		return true
	end
end

function skynet.fork(func, ...)
	local n = select("#", ...)
	local co
	if n == 0 then
		co = co_create(func)
	else
		local args = { ... }
		co = co_create(function()
			func(unpack(args, 1, n))
		end)
	end
	local t = fork_queue.t + 1
	fork_queue.t = t
	fork_queue[t] = co
	return co
end

---------------------------------------------------------------------------
-- Identity, time, environment

local self_handle
function skynet.self()
	if not self_handle then
		self_handle = c.addresscommand "REG"
	end
	return self_handle
end

skynet.now = c.now
skynet.hpc = c.hpc

local starttime
function skynet.starttime()
	if not starttime then
		starttime = cintcommand "STARTTIME"
	end
	return starttime
end

function skynet.time()
	return c.now() / 100 + (starttime or skynet.starttime())
end

function skynet.getenv(key)
	return (c.command("GETENV", key))
end

function skynet.setenv(key, value)
	assert(c.command("GETENV", key) == nil, "Can't setenv exist key : " .. key)
	c.command("SETENV", key .. " " .. value)
end

function skynet.address(addr)
	if type(addr) == "number" then
		return format(":%08x", addr)
	end
	return tostring(addr)
end

skynet.error = c.error
skynet.tracelog = ctrace

---------------------------------------------------------------------------
-- Tracing

function skynet.tracetag()
	return session_coroutine_tracetag[running_thread]
end

---------------------------------------------------------------------------
-- Sending and calling

function skynet.send(addr, typename, ...)
	local p = proto[typename]
	return csend(addr, p.id, 0, p.pack(...))
end

function skynet.rawsend(addr, typename, msg, sz)
	local p = proto[typename]
	return csend(addr, p.id, 0, msg, sz)
end

function skynet.redirect(dest, source, typename, ...)
	return c.redirect(dest, source, proto[typename].id, ...)
end

skynet.genid = cgenid
skynet.pack = c.pack
skynet.packstring = c.packstring
skynet.unpack = c.unpack
skynet.tostring = ctostring
skynet.trash = c.trash

local function yield_call(service, session)
	set_watching(session, service)
	set_session_co(session, running_thread)
	local ok, msg, sz = coroutine_yield "SUSPEND"
	set_watching(session, nil)
	if not ok then
		error "call failed"
	end
	return msg, sz
end

-- level 3: the caller of skynet.call / rawcall
local function call_failed(addr, session)
	if session == nil then
		error("call to invalid address " .. skynet.address(addr), 3)
	end
	error("call failed: message to " .. skynet.address(addr) .. " is too large", 3)
end

function skynet.call(addr, typename, ...)
	local tag = session_coroutine_tracetag[running_thread]
	if tag then
		ctrace(tag, "call", 2)
		csend(addr, PTYPE_TRACE, 0, tag)
	end
	local p = proto[typename]
	local session = session_alloc(addr, p.id, p.pack(...))
	if not session then
		call_failed(addr, session)
	end
	return p.unpack(yield_call(addr, session))
end

function skynet.rawcall(addr, typename, msg, sz)
	local tag = session_coroutine_tracetag[running_thread]
	if tag then
		ctrace(tag, "call", 2)
		csend(addr, PTYPE_TRACE, 0, tag)
	end
	local p = proto[typename]
	local session = session_alloc(addr, p.id, msg, sz)
	if not session then
		call_failed(addr, session)
	end
	return yield_call(addr, session)
end

---------------------------------------------------------------------------
-- Replying

function skynet.ret(msg, sz)
	msg = msg or ""
	local co = running_thread
	local tag = session_coroutine_tracetag[co]
	if tag then
		ctrace(tag, "response")
	end
	local session = session_coroutine_id[co]
	if session == nil then
		error "No session"
	end
	session_coroutine_id[co] = nil
	if session == 0 then
		if sz ~= nil then
			c.trash(msg, sz)
		end
		return false	-- a send expects no answer
	end
	local addr = session_coroutine_address[co]
	local ok = csend(addr, PTYPE_RESPONSE, session, msg, sz)
	if ok then
		return true
	elseif ok == false then
		-- too large to deliver: the caller must not hang
		csend(addr, PTYPE_ERROR, session, "")
	end
	return false
end

function skynet.retpack(...)
	return skynet.ret(c.pack(...))
end

function skynet.context()
	local co = running_thread
	return session_coroutine_id[co], session_coroutine_address[co]
end

function skynet.ignoreret()
	session_coroutine_id[running_thread] = nil
end

local function noop() end

function skynet.response(pack)
	pack = pack or c.pack
	local co = running_thread
	local session = assert(session_coroutine_id[co], "no session")
	session_coroutine_id[co] = nil
	if session == 0 then
		return noop
	end
	local addr = session_coroutine_address[co]
	local function response(ok, ...)
		if ok == "TEST" then
			return unresponse[response] ~= nil
		end
		if not pack then
			error "Can't response more than once"
		end
		local delivered = false
		if unresponse[response] then
			unresponse[response] = nil
			local r
			if ok then
				r = csend(addr, PTYPE_RESPONSE, session, pack(...))
				if r == false then
					csend(addr, PTYPE_ERROR, session, "")
				end
			else
				r = csend(addr, PTYPE_ERROR, session, "")
			end
			delivered = r and true or false
		end
		pack = nil
		return delivered
	end
	unresponse[response] = addr
	return response
end

---------------------------------------------------------------------------
-- Dispatch

function skynet.dispatch(typename, func)
	local p = proto[typename]
	if func then
		local prev = p.dispatch
		p.dispatch = func
		return prev
	end
	return p and p.dispatch
end

local function unknown_request(session, address, msg, sz, prototype)
	skynet.error(format("Unknown request (%s): %s", prototype, ctostring(msg, sz)))
	error(format("Unknown session : %d from %x", session, address))
end

function skynet.dispatch_unknown_request(unknown)
	local prev = unknown_request
	unknown_request = unknown
	return prev
end

local function unknown_response(session, address, msg, sz)
	skynet.error(format("Response message : %s", ctostring(msg, sz)))
	error(format("Unknown session : %d from %x", session, address))
end

function skynet.dispatch_unknown_response(unknown)
	local prev = unknown_response
	unknown_response = unknown
	return prev
end

local function reject(p, prototype, msg, sz, session, source)
	trace_source[source] = nil
	if session ~= 0 then
		csend(source, PTYPE_ERROR, session, "")
	else
		unknown_request(session, source, msg, sz, p and p.name or prototype)
	end
end

-- The request whose payload is being unpacked: if unpack raises, its caller
-- gets an error instead of waiting forever.
local unpacking_session, unpacking_source

local function dispatch_request(p, f, session, source, ...)
	unpacking_session = nil
	local co = new_thread()
	session_coroutine_id[co] = session
	session_coroutine_address[co] = source
	local traceflag = p.trace
	if traceflag == false then
		trace_source[source] = nil
		session_coroutine_tracetag[co] = false
	else
		local tag = trace_source[source]
		if tag then
			trace_source[source] = nil
			ctrace(tag, "request")
			session_coroutine_tracetag[co] = tag
		elseif traceflag then
			running_thread = co
			skynet.trace()
		end
	end
	running_thread = co
	if profile_state[1] == 0 then
		local ok, command = plain_resume(co, f, session, source, ...)
		if profile_state[1] ~= 0 then
			profile_account(co)
		end
		suspend(co, ok, command)
	else
		suspend(co, timed_resume(co, f, session, source, ...))
	end
end

local function raw_dispatch_message(prototype, msg, sz, session, source)
	if prototype == PTYPE_RESPONSE then
		local co = session_co(session)
		if co == "BREAK" then
			set_session_co(session, nil)
		elseif co == nil then
			unknown_response(session, source, msg, sz)
		else
			local tag = session_coroutine_tracetag[co]
			if tag then
				ctrace(tag, "resume")
			end
			set_session_co(session, nil)
			running_thread = co
			if profile_state[1] == 0 then
				local ok, command = plain_resume(co, true, msg, sz, session)
				if profile_state[1] ~= 0 then
					profile_account(co)
				end
				suspend(co, ok, command)
			else
				suspend(co, timed_resume(co, true, msg, sz, session))
			end
		end
		return
	end
	local p = proto[prototype]
	local f = p and p.dispatch
	if f == nil then
		if p == nil and prototype == PTYPE_TRACE then
			trace_source[source] = ctostring(msg, sz)
		else
			reject(p, prototype, msg, sz, session, source)
		end
		return
	end
	unpacking_session, unpacking_source = session, source
	dispatch_request(p, f, session, source, p.unpack(msg, sz))
end

local function run_forks(ok, err)
	local q = fork_queue
	while q.h <= q.t do
		local h = q.h
		local co = q[h]
		q[h] = nil
		q.h = h + 1
		local fok, ferr = pcall(suspend, co, coroutine_resume(co))
		if not fok then
			if ok then
				ok, err = false, tostring(ferr)
			else
				err = tostring(err) .. "\n" .. tostring(ferr)
			end
		end
	end
	q.h, q.t = 1, 0
	return ok, err
end

function skynet.dispatch_message(...)
	local ok, err = pcall(raw_dispatch_message, ...)
	if not ok then
		if unpacking_session then
			if unpacking_session ~= 0 then
				csend(unpacking_source, PTYPE_ERROR, unpacking_session, "")
			end
			unpacking_session = nil
		end
		-- the failed thread never reached a suspend point: do its work here
		local wok, werr = pcall(dispatch_wakeup)
		if not wok then
			err = tostring(err) .. "\n" .. tostring(werr)
		end
	end
	if fork_queue.t > 0 then
		ok, err = run_forks(ok, err)
	end
	if not ok then
		-- with its position, as upstream's assert on Lua 5.5 reports it
		error(tostring(err))
	end
end

---------------------------------------------------------------------------
-- Services

function skynet.newservice(name, ...)
	return skynet.call(".launcher", "lua", "LAUNCH", "snlua", name, ...)
end

function skynet.uniqueservice(name, ...)
	if name == true then
		return assert(skynet.call(".service", "lua", "GLAUNCH", ...))
	end
	return assert(skynet.call(".service", "lua", "LAUNCH", name, ...))
end

function skynet.queryservice(name, ...)
	if name == true then
		return assert(skynet.call(".service", "lua", "GQUERY", ...))
	end
	return assert(skynet.call(".service", "lua", "QUERY", name, ...))
end

-- A part of this framework kept in its own file. require finds it as usual;
-- should the service have replaced package.path, it is still found next to
-- this file (skynet.exit, for one, must work whatever the service did).
-- Parts load and wire themselves past the service's memlimit (memgrace):
-- exit and the error path must work in a service that has reached its limit.
local memgrace = debug.getregistry()["skynet.memgrace"] or function() end
local get_internal

local function load_part(name)
	local ok, mod = pcall(require, name)
	if ok then
		return mod
	end
	local dir = debug.getinfo(1, "S").source:match "^@(.-)skynet%.lua$"
	local f = dir and loadfile(dir .. (name:gsub("%.", "/")) .. ".lua")
	if not f then
		error(mod, 0)
	end
	mod = f(name)
	package.loaded[name] = mod
	return mod
end

-- a part is a function(skynet, internal) that fills in its fields; skynet.debug
-- is a table whose init(skynet, export) does
local function wire_part(name, target, export)
	local mod = load_part(name)
	if export then
		return mod.init(target, export)
	end
	return mod(target, get_internal())
end

local function require_part(name, target, export)
	memgrace(true)
	local ok, part = pcall(wire_part, name, target or skynet, export)
	memgrace(false)
	if not ok then
		error(part, 0)
	end
	return part
end

-- skynet.exit and the error protocol live in skynet/exit.lua: most services
-- never need them, and every service would carry their code.
local exit_part
local function exit_part_get()
	if not exit_part then
		exit_part = require_part("skynet.exit")
	end
	return exit_part
end

local function error_dispatch(error_session, error_source)
	return exit_part_get().error_dispatch(error_session, error_source)
end

function skynet.term(service)
	return error_dispatch(0, service)
end

function skynet.exit()
	memgrace(true) -- for good: the service is leaving
	return exit_part_get().exit()
end

skynet.init = skynet_require.init
skynet.pcall = pcall	-- deprecated

function skynet.init_service(start)
	local ok, err = xpcall(function()
		skynet_require.init_all()
		start()
	end, traceback)
	if ok then
		skynet.send(".launcher", "lua", "LAUNCHOK")
	else
		skynet.error("init service failed: " .. tostring(err))
		skynet.send(".launcher", "lua", "ERROR")
		skynet.exit()
	end
end

function skynet.start(start_func)
	c.callback(skynet.dispatch_message)
	init_thread = skynet.timeout(0, function()
		skynet.init_service(start_func)
		init_thread = nil
	end)
end

function skynet.memlimit(bytes)
	debug.getregistry().memlimit = bytes
	skynet.memlimit = nil	-- only once, before the service starts
end

---------------------------------------------------------------------------
-- Protocols every service speaks

do
	local REG = skynet.register_protocol

	REG {
		name = "lua",
		id = skynet.PTYPE_LUA,
		pack = c.pack,
		unpack = c.unpack,
	}

	REG {
		name = "response",
		id = PTYPE_RESPONSE,
	}

	REG {
		name = "error",
		id = PTYPE_ERROR,
		unpack = function(...) return ... end,
		dispatch = error_dispatch,
	}
end

---------------------------------------------------------------------------
-- Lazily loaded parts. They get the private state through `internal`.

local export = {
	dispatch = skynet.dispatch_message,
	suspend = suspend,
	resume = coroutine_resume,
}

function skynet.info_func(func)
	export.info = func
end

local internal
function get_internal()
	if not internal then
		internal = {
			proto = proto,
			session_co = session_co,
			set_session_co = set_session_co,
			each_session_co = each_session_co,
			session_coroutine_id = session_coroutine_id,
			session_coroutine_address = session_coroutine_address,
			session_coroutine_tracetag = session_coroutine_tracetag,
			unresponse = unresponse,
			error_queue = error_queue,
			watching = watching,
			set_watching = set_watching,
			each_watching = each_watching,
			sleep_session = sleep_session,
			fork_queue = fork_queue,
			running = function() return running_thread end,
			-- start co without disturbing the current thread
			start = function(co, ...)
				local running = running_thread
				local ok, err = coroutine_resume(co, ...)
				running_thread = running
				return ok, err
			end,
			send = session_alloc,
			yield_call = yield_call,
			timeout = timeout_alloc,
			set_timeout_hook = function(hook) timeout_hook = hook end,
			init_thread = function() return init_thread end,
		}
	end
	return internal
end

-- module name, or true for skynet.manager (it extends skynet itself)
local lazy = {
	launch = true,
	kill = true,
	abort = true,
	register = true,
	name = true,
	forward_type = true,
	filter = true,
	monitor = true,
	request = "skynet.request",
	trace = "skynet.trace",
	tracecall = "skynet.trace",
	traceproto = "skynet.trace",
	trace_timeout = "skynet.trace",
	task = "skynet.task",
	uniqtask = "skynet.task",
	killthread = "skynet.task",
	localname = "skynet.query",
	harbor = "skynet.query",
	endless = "skynet.query",
	mqlen = "skynet.query",
	stat = "skynet.query",
}

setmetatable(skynet, { __index = function(t, key)
	if key == "cache" then
		local cache = require "skynet.codecache"
		rawset(t, "cache", cache)
		return cache
	end
	local mod = lazy[key]
	if mod == true then
		require "skynet.manager"
		return rawget(t, key)
	elseif mod then
		require_part(mod, t)
		return rawget(t, key)
	end
end })

skynet.register_protocol {
	name = "debug",
	id = skynet.PTYPE_DEBUG,
	pack = c.pack,
	unpack = c.unpack,
	dispatch = function(...)
		-- first debug message: load the real command table
		require_part("skynet.debug", skynet, export)
		return proto.debug.dispatch(...)
	end,
}

return skynet
