-- Helpers shared by the skynet_* scenarios (a library, not a service; the
-- svc_ prefix keeps the runner from starting it).
local skynet = require "skynet"

local M = {}

-- Poll the node's log file until a line containing `text` shows up (the
-- logger writes asynchronously). Returns the line, or nil after `ti` cs.
function M.log_find(text, ti)
	local path = assert(skynet.getenv "logger", "config has no logger file")
	local deadline = skynet.now() + (ti or 300)
	while true do
		local f = io.open(path)
		if f then
			for line in f:lines() do
				if line:find(text, 1, true) then
					f:close()
					return line
				end
			end
			f:close()
		end
		if skynet.now() >= deadline then
			return nil
		end
		skynet.sleep(1)
	end
end

-- Like log_find, with a Lua pattern.
function M.log_match(pattern, ti)
	local path = assert(skynet.getenv "logger", "config has no logger file")
	local deadline = skynet.now() + (ti or 300)
	while true do
		local f = io.open(path)
		if f then
			for line in f:lines() do
				if line:match(pattern) then
					f:close()
					return line
				end
			end
			f:close()
		end
		if skynet.now() >= deadline then
			return nil
		end
		skynet.sleep(1)
	end
end

-- Escape the magic characters of a Lua pattern.
function M.escape(text)
	return (text:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0"))
end

-- Count the log lines containing text right now.
function M.log_count(text)
	local path = assert(skynet.getenv "logger")
	local n = 0
	local f = io.open(path)
	if f then
		for line in f:lines() do
			if line:find(text, 1, true) then
				n = n + 1
			end
		end
		f:close()
	end
	return n
end

-- Write a unique marker through our own logger stream and wait for it: every
-- line this service logged before is then in the file too.
local marker = 0
function M.log_sync()
	marker = marker + 1
	local text = string.format("log-sync %08x %d", skynet.self(), marker)
	skynet.error(text)
	return assert(M.log_find(text), "log marker never arrived")
end

-- Retry fn until it returns a true value (for effects of other services
-- that no message of ours can wait for). Fails after ti cs.
function M.eventually(fn, ti, what)
	local deadline = skynet.now() + (ti or 300)
	while true do
		local v = fn()
		if v then
			return v
		end
		if skynet.now() >= deadline then
			error((what or "condition") .. " never became true", 2)
		end
		skynet.sleep(1)
	end
end

-- Call and report whether the call stayed unanswered for ti cs.
function M.hangs(ti, addr, typename, ...)
	local req = skynet.request { addr, typename, ... }
	for _ in req:select(ti) do
		req:close()
		return false
	end
	return req.timeout == true
end

return M
