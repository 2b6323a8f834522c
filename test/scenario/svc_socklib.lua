-- Helpers shared by the sock_* scenarios (a module, not a service; the
-- svc_ prefix keeps the runner from starting it as a scenario).
local skynet = require "skynet"
local socket = require "skynet.socket"

local L = {}

local DEFAULT_TIMEOUT = 1000	-- centiseconds

-- A queue whose pop waits (bounded) for the next pushed value.
function L.queue()
	local q = { head = 1, tail = 0, items = {} }

	function q.push(...)
		q.tail = q.tail + 1
		q.items[q.tail] = table.pack(...)
		local token = q.waiting
		if token then
			q.waiting = nil
			skynet.wakeup(token)
		end
	end

	-- Returns the pushed values; raises "timeout: <what>" after ti cs.
	function q.pop(ti, what)
		if q.head > q.tail then
			local token = {}
			q.waiting = token
			skynet.timeout(ti or DEFAULT_TIMEOUT, function()
				skynet.wakeup(token)
			end)
			skynet.wait(token)
			if q.waiting == token then
				q.waiting = nil
			end
			if q.head > q.tail then
				error("timeout: " .. (what or "queue.pop"), 2)
			end
		end
		local v = q.items[q.head]
		q.items[q.head] = nil
		q.head = q.head + 1
		return table.unpack(v, 1, v.n)
	end

	function q.size()
		return q.tail - q.head + 1
	end

	return q
end

-- Run f(...) in a fork; returns true, results when it finished within ti
-- cs, or false, "timeout". An error inside f comes back as false, err.
function L.within(ti, f, ...)
	local q = L.queue()
	local args = table.pack(...)
	skynet.fork(function()
		q.push(pcall(f, table.unpack(args, 1, args.n)))
	end)
	local ok, r = pcall(function()
		return table.pack(q.pop(ti, "within"))
	end)
	if not ok then
		return false, "timeout"
	end
	return table.unpack(r, 1, r.n)
end

-- 2-byte big-endian length framing (skynet.netpack / gate packets).
function L.frame(s)
	local n = #s
	assert(n < 65536)
	return string.char(math.floor(n / 256), n % 256) .. s
end

function L.read_frame(id)
	local h = socket.read(id, 2)
	if not h then
		return false
	end
	local n = socket.header(h)
	if n == 0 then
		return ""
	end
	return socket.read(id, n)
end

-- Listener on 127.0.0.1:0 whose accepted ids land in the returned queue.
function L.listener(host)
	local q = L.queue()
	local id, addr, port = socket.listen(host or "127.0.0.1", 0)
	socket.start(id, function(newid, from)
		q.push(newid, from)
	end)
	return id, port, q, addr
end

-- Accept from q and start the new socket.
function L.accept(q, what)
	local id, from = q.pop(nil, what or "accept")
	assert(socket.start(id))
	return id, from
end

-- The soft limit on open files, from /proc (nil if unknown).
function L.max_open_files()
	local f = io.open("/proc/self/limits")
	if not f then
		return nil
	end
	local limit
	for line in f:lines() do
		local soft = line:match("^Max open files%s+(%d+)")
		if soft then
			limit = tonumber(soft)
		end
	end
	f:close()
	return limit
end

-- The log file the scenario runner gave this node.
function L.logfile()
	local dir = skynet.getenv "scenario_tmp"
	local name = skynet.getenv "start"
	if dir and name then
		return dir .. "/" .. name .. ".log"
	end
end

-- Wait (bounded) until the log holds a line containing text (plain).
-- The logger writes asynchronously and offers no event to wait for, so
-- this polls the file.
function L.log_wait(text, ti)
	local path = assert(L.logfile(), "no log file configured")
	local deadline = skynet.now() + (ti or DEFAULT_TIMEOUT)
	repeat
		local f = io.open(path)
		if f then
			local all = f:read "*a"
			f:close()
			if all:find(text, 1, true) then
				return true
			end
		end
		skynet.sleep(2)
	until skynet.now() > deadline
	return false
end

-- Deterministic pseudo-random bytes (same in every service).
function L.random_bytes(n, seed)
	local x = seed or 12345
	local t = {}
	for i = 1, n do
		x = (x * 1103515245 + 12345) % 2147483648
		t[i] = string.char(math.floor(x / 65536) % 256)
	end
	return table.concat(t)
end

-- Block i of a test stream: its index, then `base` rotated by i, so a
-- lost, repeated or reordered byte changes some block.
function L.stream_block(base, i)
	local k = (i * 7919) % #base + 1
	return string.format("%08x", i) .. base:sub(k) .. base:sub(1, k - 1)
end

-- Body of frame i of CMD.frames: sizes from 1 byte to 300 KB, so some
-- frames alone pass socket.lua's 128 KiB pause threshold; the index leads
-- and the filler depends on it, so a misplaced byte shows.
function L.frame_body(i)
	local sizes = { 1, 17, 4093, 65535, 70000, 131072, 200003, 300000, 9 }
	local n = sizes[(i * 7) % #sizes + 1] + i % 13
	local head = string.format("%08x", i)
	return head .. string.rep(string.char(65 + i % 26), n - #head > 0 and n - #head or 0)
end

-- Adler-32 of s, continuing from a (default 1).
function L.adler32(s, a)
	a = a or 1
	local lo, hi = a % 65536, math.floor(a / 65536)
	local byte = string.byte
	local n = #s
	local i = 1
	while i <= n do
		local j = math.min(n, i + 3799)
		for k = i, j do
			lo = lo + byte(s, k)
			hi = hi + lo
		end
		lo = lo % 65521
		hi = hi % 65521
		i = j + 1
	end
	return hi * 65536 + lo
end

return L
