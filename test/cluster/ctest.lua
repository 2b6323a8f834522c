-- Checks for the client node of a cluster test. Each case prints one
-- PASS/FAIL line; done() prints DONE and stops the node. step() hands
-- control to the shell script (kill or restart a node, ...) and waits until
-- it says go on. Written for both LuaJIT and Lua 5.4, so the same services
-- can run on an upstream skynet in interoperability runs.
local skynet = require "skynet"
require "skynet.manager"	-- skynet.abort

local T = { passed = 0, failed = 0 }

local tmp = skynet.getenv "test_tmp"

function T.out(...)
	local line = table.concat({ ... }, " ")
	io.stdout:write(line, "\n")
	io.stdout:flush()
end

function T.case(name, fn)
	local ok, err = xpcall(fn, debug.traceback)
	if ok then
		T.passed = T.passed + 1
		T.out("PASS " .. name)
	else
		T.failed = T.failed + 1
		T.out("FAIL " .. name .. " : " .. (tostring(err):gsub("\n", " | ")))
	end
end

local function show(v)
	if type(v) == "string" and #v > 80 then
		return string.format("<string of %d bytes>", #v)
	end
	return tostring(v)
end

function T.eq(a, b, what)
	if a ~= b then
		error(string.format("%s: expected %s, got %s", what or "value", show(b), show(a)), 2)
	end
end

function T.ok(v, what)
	if not v then
		error((what or "assertion") .. " failed", 2)
	end
	return v
end

-- Expect fn(...) to raise; returns the error text.
function T.raises(fn, ...)
	local ok, err = pcall(fn, ...)
	if ok then
		error("expected an error, got " .. show(err), 2)
	end
	return tostring(err)
end

local function pack(...)
	return { n = select("#", ...), ... }
end

-- Start fn(i) for i = 1..n in n concurrent coroutines; T.wait(batch) waits
-- for them. Each result is { ok, ..., t = completion time (skynet.now) }.
function T.start(n, fn)
	local batch = { n = n, results = {}, finished = 0 }
	for i = 1, n do
		skynet.fork(function()
			local r = pack(pcall(fn, i))
			r.t = skynet.now()
			batch.results[i] = r
			batch.finished = batch.finished + 1
			if batch.finished == n and batch.waiter then
				skynet.wakeup(batch.waiter)
			end
		end)
	end
	return batch
end

-- Wait (at most `limit` centiseconds) until the batch has finished; returns
-- its results and how many finished.
function T.wait(batch, limit)
	if batch.finished < batch.n then
		local co = coroutine.running()
		batch.waiter = co
		skynet.timeout(limit or 3000, function()
			if batch.waiter == co then
				skynet.wakeup(co)
			end
		end)
		skynet.wait(co)
		batch.waiter = nil
	end
	return batch.results, batch.finished
end

function T.parallel(n, fn, limit)
	return T.wait(T.start(n, fn), limit)
end

local function read(name)
	local f = io.open(tmp .. "/" .. name, "rb")
	if not f then
		return nil
	end
	local text = f:read "*a"
	f:close()
	return text
end

-- Print "STEP <token>" and wait (bounded) for the shell's step_go <token>;
-- returns the text the shell wrote, with the trailing newline removed.
function T.step(token, limit)
	T.out("STEP " .. token)
	local deadline = skynet.now() + (limit or 6000)
	while true do
		local text = read(token)
		if text then
			return (text:gsub("\n$", ""))
		end
		if skynet.now() > deadline then
			error("the test script did not answer step " .. token)
		end
		skynet.sleep(2)
	end
end

-- Retry fn() (bounded) until it returns a true value; returns that value or
-- nil, last error.
function T.poll(fn, limit)
	local deadline = skynet.now() + (limit or 500)
	local last
	while true do
		local ok, v = pcall(fn)
		if ok and v then
			return v
		end
		last = v
		if skynet.now() > deadline then
			return nil, last
		end
		skynet.sleep(5)
	end
end

-- A string of n bytes covering every byte value, different for each seed.
function T.blob(n, seed)
	local chunk = {}
	local x = seed or 1
	for i = 1, 256 do
		-- small factors: the same bytes with LuaJIT's doubles and Lua 5.4's integers
		x = (x * 75 + 74) % 65537
		chunk[i] = string.char((x + i) % 256)
	end
	chunk = table.concat(chunk)
	local reps = math.floor(n / 256) + 1
	return (string.rep(chunk, reps)):sub(1, n)
end

function T.config(key)
	return skynet.getenv(key)
end

function T.done()
	T.out(string.format("DONE %d passed, %d failed", T.passed, T.failed))
	skynet.abort()
end

return T
