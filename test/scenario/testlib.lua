-- Tiny harness for self-checking scenario services. A scenario calls
-- T.case(name, fn) for each check (fn runs in the service's coroutine and may
-- block), then T.done(). Each case prints one PASS/FAIL line; the runner counts them.
local skynet = require "skynet"
require "skynet.manager" -- T.done() aborts the node

local T = { passed = 0, failed = 0 }

local function out(s)
	io.stdout:write(s, "\n")
	io.stdout:flush()
end

function T.case(name, fn)
	local ok, err = xpcall(fn, debug.traceback)
	if ok then
		T.passed = T.passed + 1
		out("PASS " .. name)
	else
		T.failed = T.failed + 1
		out("FAIL " .. name .. " : " .. tostring(err):gsub("\n", " | "))
	end
end

function T.eq(a, b, what)
	if a ~= b then
		error(string.format("%s: expected %s, got %s", what or "value", tostring(b), tostring(a)), 2)
	end
end

function T.ok(v, what)
	if not v then
		error((what or "assertion") .. " failed", 2)
	end
	return v
end

-- Expect fn(...) to raise an error whose text contains `pattern` (plain find).
function T.raises(pattern, fn, ...)
	local ok, err = pcall(fn, ...)
	if ok then
		error("expected an error containing '" .. pattern .. "'", 2)
	end
	if not tostring(err):find(pattern, 1, true) then
		error("error '" .. tostring(err) .. "' lacks '" .. pattern .. "'", 2)
	end
end

function T.done()
	out(string.format("DONE %d passed, %d failed", T.passed, T.failed))
	skynet.abort()
end

return T
