-- injectcode(source, co, level, env) runs `source` as if it were typed
-- inside a live function frame: names resolve to that frame's locals, then
-- its upvalues, then `env`, then the globals. Assigning a local or an
-- upvalue changes the frame itself.
--
-- `co` defaults to the running thread; for the running thread level 0 is
-- the caller of injectcode, for any other thread levels are counted as by
-- debug.getinfo(co, level). Returns true, results... or false, error.
--
-- LuaJIT can't read a frame's varargs (debug.getlocal with a negative index
-- answers nil), so `...` is empty inside the injected code.

local debug = debug
local coroutine = coroutine
local unpack = table.unpack or unpack

-- Frames between the caller of injectcode and the debug.* calls made from
-- the functions below: debug.getinfo itself, the helper, injectcode.
local SELF_FRAMES = 3

local function same_thread(co)
	return co == nil or co == coroutine.running()
end

-- (no tail calls here: they would remove a frame from the count)
local function getinfo(co, level, what)
	local info
	if same_thread(co) then
		info = debug.getinfo(level + SELF_FRAMES, what)
	else
		info = debug.getinfo(co, level, what)
	end
	return info
end

-- Locals visible at the frame: name -> slot; when a name is declared twice
-- the later (inner) one wins, as in the source. `names` (slot -> name)
-- overrides the names debug.getlocal reports.
local function read_locals(co, level, names)
	local slot, value = {}, {}
	local i = 1
	while true do
		local name, v
		if same_thread(co) then
			name, v = debug.getlocal(level + SELF_FRAMES, i)
		else
			name, v = debug.getlocal(co, level, i)
		end
		if name == nil then
			break
		end
		if names then
			name = names[i] or "("
		end
		if name:sub(1, 1) ~= "(" then
			slot[name] = i
			value[name] = v
		end
		i = i + 1
	end
	return slot, value
end

local function read_upvalues(f)
	local index = {}
	local i = 1
	while true do
		local name = debug.getupvalue(f, i)
		if name == nil then
			break
		end
		index[name] = i
		i = i + 1
	end
	return index
end

-- The env seen by the injected chunk. Locals are buffered (the frame's
-- level changes while the chunk runs) and written back by `commit`;
-- upvalues are read and written in place.
local function frame_env(f, slot, value, env)
	local upvalue = read_upvalues(f)
	local dirty = {}
	local proxy = setmetatable({}, {
		__index = function(_, name)
			if slot[name] then
				return value[name]
			end
			local i = upvalue[name]
			if i then
				local _, v = debug.getupvalue(f, i)
				return v
			end
			if env then
				local v = env[name]
				if v ~= nil then
					return v
				end
			end
			return _G[name]
		end,
		__newindex = function(_, name, v)
			if slot[name] then
				value[name] = v
				dirty[name] = true
			elseif upvalue[name] then
				debug.setupvalue(f, upvalue[name], v)
			else
				_G[name] = v
			end
		end,
	})
	return proxy, dirty
end

local function pack(...)
	return { n = select("#", ...), ... }
end

-- `local_names` is for a thread paused by a line hook: LuaJIT then reports
-- its frame as it was one instruction earlier, so a local assigned by that
-- instruction shows up as a temporary. The hook can take the names (slot ->
-- name) with debug.getlocal before the thread yields and pass them here.
return function(source, co, level, env, local_names)
	level = level or 0
	local info = getinfo(co, level, "f")
	if info == nil or info.func == nil then
		return false, "Invalid level"
	end
	local slot, value = read_locals(co, level, local_names)
	local proxy, dirty = frame_env(info.func, slot, value, env)
	local chunk, err = load(source, "=(debug)", "t", proxy)
	if not chunk then
		return false, err
	end
	local rets = pack(pcall(chunk))
	if not rets[1] then
		return false, rets[2]
	end
	for name in pairs(dirty) do
		if same_thread(co) then
			debug.setlocal(level + SELF_FRAMES - 1, slot[name], value[name])
		else
			debug.setlocal(co, level, slot[name], value[name])
		end
	end
	return unpack(rets, 1, rets.n)
end
