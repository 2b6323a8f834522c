-- Coroutines for use inside services. A skynet.coroutine may call blocking
-- skynet APIs: the framework's yield travels out through every resume to the
-- real skynet thread, and its answer travels back in. Only yields made with
-- this module's yield reach the resumer.

local raw = coroutine
local raw_create = raw.create
local raw_resume = raw.resume
local raw_yield = raw.yield
local raw_status = raw.status
local raw_running = raw.running
local raw_close = raw.close or function() return true end
local select = select
local error = error

local M = {
	isyieldable = raw.isyieldable,
	running = raw.running,
}

-- co -> true (ours, runnable), false (blocked in the framework); nil = not ours
local ours = setmetatable({}, { __mode = "kv" })
-- co -> the skynet thread at the root of its resume chain
local root_of = setmetatable({}, { __mode = "kv" })

function M.create(f)
	local co = raw_create(f)
	ours[co] = true
	return co
end

local step

local function unblock(co, ...)
	ours[co] = true
	return ...
end

-- co yielded to the framework: pass the yield up, then its answer down
local function relay(co, ...)
	ours[co] = false
	return step(co, raw_resume(co, unblock(co, raw_yield(...))))
end

function step(co, ok, ...)
	if not ok then
		return false, ...
	end
	if raw_status(co) == "dead" then
		ours[co] = nil
		return true, ...
	end
	if (...) == "USER" then
		return true, select(2, ...)
	end
	return relay(co, ...)
end

function M.resume(co, ...)
	local state = ours[co]
	if not state then
		if state == false then
			return false, "cannot resume a skynet coroutine suspend by skynet framework"
		end
		if raw_status(co) == "dead" then
			return raw_resume(co, ...)	-- the usual "cannot resume dead coroutine"
		end
		return false, "cannot resume none skynet coroutine"
	end
	local from = raw_running()
	root_of[co] = root_of[from] or from
	return step(co, raw_resume(co, ...))
end

function M.yield(...)
	return raw_yield("USER", ...)
end

function M.status(co)
	local status = raw_status(co)
	if status == "suspended" and ours[co] == false then
		return "blocked"
	end
	return status
end

function M.thread(co)
	co = co or raw_running()
	if ours[co] ~= nil then
		return root_of[co], false
	end
	return co, true
end

local function unwrap(ok, ...)
	if ok then
		return ...
	end
	error((...), 0)
end

function M.wrap(f)
	local co = M.create(f)
	return function(...)
		return unwrap(M.resume(co, ...))
	end
end

function M.close(co)
	ours[co] = nil
	return raw_close(co)
end

return M
