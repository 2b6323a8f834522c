-- The target side of the debug console's `debug` command (debug protocol
-- REMOTEDEBUG). While a session is open every message this service receives
-- first runs the console lines that debug_agent queued in the channel. The
-- agent sends a debug PING after each line so it runs at once; a 0.1 s
-- timer also keeps messages coming when the service is otherwise idle.
--
-- At the `:address>` prompt a line is a Lua expression or statement run
-- with `print` (to the console) and `watch(proto [, cond])`; watch makes
-- the next message of that protocol (for which cond(...) is true) run
-- under the line hook. The hook pauses it on its first line of user code,
-- prompt `file(line)>`: there `s` steps, `n` steps over calls, `c` lets it
-- run on, and other lines are evaluated in the paused frame (its locals and
-- upvalues, `_CO` = the thread). `cont` ends the session.
--
-- LuaJIT has one hook per Lua state; skynet.debugchannel.sethook keeps one
-- per thread on top of it. Calls into C fire no return event under LuaJIT,
-- so stepping measures stack depth instead of counting calls.

local skynet = require "skynet"
local debugchannel = require "skynet.debugchannel"
local socketdriver = require "skynet.socketdriver"
local injectcode = require "skynet.injectcode"

local sethook = debugchannel.sethook
local coroutine = coroutine
local debug = debug
local unpack = table.unpack or unpack

local HOOKED_UPVALUE = "raw_dispatch_message"
local SKYNET_SOURCE = debug.getinfo(skynet.start, "S").source

local M = {}

local session	-- the open debug session, nil when not debugging
local traced = setmetatable({}, { __mode = "k" })	-- thread -> step context
local armed = {}	-- protocol class -> its dispatch, while watch() waits

local function find_upvalue(f, wanted)
	local i = 1
	while true do
		local name, value = debug.getupvalue(f, i)
		if name == nil then
			return
		end
		if name == wanted then
			return i, value
		end
		i = i + 1
	end
end

local function console_print(...)
	local n = select("#", ...)
	local t = { ... }
	for i = 1, n do
		t[i] = tostring(t[i])
	end
	socketdriver.send(session.fd, table.concat(t, "\t", 1, n) .. "\n")
end

-- Inside a console command the prompt follows the command's output;
-- otherwise (a watched thread paused or finished on its own) it goes now.
local function set_prompt(text)
	session.prompt = text
	if session.in_command then
		session.prompt_due = true
	else
		session.prompt_due = false
		socketdriver.send(session.fd, text)
	end
end

local function idle_prompt()
	return string.format(":%08x>", skynet.self())
end

local function pack(...)
	return { n = select("#", ...), ... }
end

local function print_result(ok, ...)
	if ok then
		if select("#", ...) > 0 then
			console_print(...)
		end
	else
		console_print((...))
	end
end

-- An expression prints its values; anything else runs as a statement.
-- run(source) answers ok, results... like pcall.
local function evaluate(line, run)
	local as_expression = "return " .. line
	if load(as_expression, "=(debug)") then
		print_result(run(as_expression))
	else
		print_result(run(line))
	end
end

-- At the idle prompt code sees `env`, then the globals.
local function run_global(env)
	local scope = setmetatable({}, {
		__index = function(_, name)
			local v = env[name]
			if v == nil then
				v = _G[name]
			end
			return v
		end,
		__newindex = _G,
	})
	return function(source)
		local f, err = load(source, "=(debug)", "t", scope)
		if not f then
			return false, err
		end
		return pcall(f)
	end
end

---------------------------------------------------------------------------
-- Stepping

local THIS_SOURCE = debug.getinfo(1, "S").source

-- Frames under the function the hook interrupted (level 2 from the hook).
local function stack_depth()
	local depth = 0
	while debug.getinfo(depth + 3, "l") do
		depth = depth + 1
	end
	return depth
end

-- Names of the interrupted function's locals by slot (level 3 from here),
-- read before the thread yields: see injectcode.
local function local_names()
	local names = {}
	local i = 1
	while true do
		local name = debug.getlocal(3, i)
		if name == nil then
			return names
		end
		names[i] = name
		i = i + 1
	end
end

-- Runs on every line of a traced thread; true pauses it there.
local function line_hook(_, line)
	local ctx = traced[coroutine.running()]
	if ctx == nil or session == nil then
		return false
	end
	local info = debug.getinfo(2, "S")
	if info.source == THIS_SOURCE or info.source == SKYNET_SOURCE then
		return false
	end
	local depth = stack_depth()
	local again = ctx.again
	ctx.again = nil
	if again and again.source == info.source and again.line == line and again.depth == depth then
		-- LuaJIT reports the paused line once more when the thread resumes
		return false
	end
	if ctx.mode == "next" and depth > ctx.depth then
		return false
	end
	ctx.depth = depth
	ctx.locals = local_names()
	ctx.paused = true
	ctx.again = { source = info.source, line = line, depth = depth }
	set_prompt(string.format("%s(%d)>", info.short_src, line))
	return true
end

local function stop_trace(co)
	if traced[co] then
		traced[co] = nil
		sethook(co)
		if session and next(traced) == nil then
			set_prompt(idle_prompt())
		end
	end
end

-- Runs the paused thread until the hook pauses it again, it waits for
-- something, or it finishes.
local function resume_paused(co, ctx)
	ctx.paused = false
	session.suspend(co, session.resume(co))
end

local function step(co, ctx, mode)
	ctx.mode = mode
	resume_paused(co, ctx)
end

local function continue(co, ctx)
	stop_trace(co)
	resume_paused(co, ctx)
end

local function paused_thread()
	for co, ctx in pairs(traced) do
		if ctx.paused then
			return co, ctx
		end
	end
end

-- The level of the paused function in its thread: the first Lua frame.
local function paused_level(co)
	local level = 0
	while true do
		local info = debug.getinfo(co, level, "S")
		if info == nil then
			return 0
		end
		if info.what ~= "C" then
			return level
		end
		level = level + 1
	end
end

local function paused_command(co, ctx, line)
	if line == "s" then
		step(co, ctx, "step")
	elseif line == "n" then
		step(co, ctx, "next")
	elseif line == "c" then
		continue(co, ctx)
	else
		local env = { print = console_print, _CO = co }
		local level = paused_level(co)
		evaluate(line, function(source)
			return injectcode(source, co, level, env, ctx.locals)
		end)
	end
end

-- watch(protoname [, cond]): trace the next matching message of that
-- protocol. Answers nothing when armed, else why not.
local function watch(protoname, cond)
	local _, proto = find_upvalue(skynet.register_protocol, "proto")
	if proto == nil then
		return "Can't find proto table"
	end
	local p = proto[protoname]
	if p == nil then
		return "No " .. tostring(protoname)
	end
	local dispatch = p.watched_dispatch or p.dispatch
	if dispatch == nil then
		return "No dispatch"
	end
	p.watched_dispatch = dispatch
	armed[p] = dispatch
	p.dispatch = function(...)
		if cond and not cond(...) then
			return dispatch(...)
		end
		p.dispatch = dispatch
		p.watched_dispatch = nil
		armed[p] = nil
		local co = coroutine.running()
		traced[co] = { mode = "step", depth = 0, paused = false }
		sethook(line_hook, "l")
		local ret = pack(pcall(dispatch, ...))
		stop_trace(co)
		if not ret[1] then
			error(ret[2], 0)
		end
		return unpack(ret, 2, ret.n)
	end
end

---------------------------------------------------------------------------
-- Session

-- Undoes everything the session changed, then lets paused threads run on.
local function leave()
	local s = session
	s.in_command = true	-- no more prompts
	for p, dispatch in pairs(armed) do
		p.dispatch = dispatch
		p.watched_dispatch = nil
		armed[p] = nil
	end
	local paused = {}
	for co, ctx in pairs(traced) do
		stop_trace(co)
		if ctx.paused then
			paused[co] = ctx
		end
	end
	local index = find_upvalue(s.dispatcher, HOOKED_UPVALUE)
	debug.setupvalue(s.dispatcher, index, s.raw_dispatch)
	for co, ctx in pairs(paused) do
		local ok, err = pcall(resume_paused, co, ctx)
		if not ok then
			skynet.error(tostring(err))
		end
	end
	session = nil
	debugchannel.release(s.channel)
	skynet.error "Leave debug mode"
	s.respond(true)
end

local function run_command(line)
	local co, ctx = paused_thread()
	if co then
		paused_command(co, ctx, line)
	elseif next(traced) then
		console_print "Waiting for the watched thread to stop"
	else
		evaluate(line, session.run)
	end
end

-- Runs the console lines queued so far; false once the session is over.
local function poll()
	local s = session
	while true do
		if s.prompt_due then
			s.prompt_due = false
			socketdriver.send(s.fd, s.prompt)
		end
		local line = s.channel:read()
		if line == nil then
			return true
		end
		if line == "cont" then
			leave()
			return false
		end
		s.in_command = true
		if line ~= "" then
			local ok, err = pcall(run_command, line)
			if not ok then
				console_print(tostring(err))
			end
		end
		s.in_command = false
		s.prompt_due = true
	end
end

local function idle()
	if session then
		skynet.timeout(10, idle)
	end
end

-- export: the private functions skynet.lua hands to the debug commands.
function M.start(export, fd, handle)
	assert(session == nil, "Already in debug mode")
	local dispatcher = export.dispatch
	local index, raw_dispatch = find_upvalue(dispatcher, HOOKED_UPVALUE)
	assert(index, "Can't find the message dispatcher")
	local channel = debugchannel.connect(handle)
	session = {
		fd = tonumber(fd),
		channel = channel,
		dispatcher = dispatcher,
		raw_dispatch = raw_dispatch,
		respond = skynet.response(),
		suspend = export.suspend,
		resume = export.resume,
		run = run_global { print = console_print, watch = watch },
	}
	set_prompt(idle_prompt())
	debug.setupvalue(dispatcher, index, function(...)
		if session then
			local ok, err = pcall(poll)
			if not ok then
				skynet.error("Debug console: " .. tostring(err))
			end
		end
		return raw_dispatch(...)
	end)
	skynet.error "Enter debug mode"
	skynet.timeout(0, idle)
end

return M
