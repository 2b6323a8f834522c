-- log_flood: one service logs 200-byte lines with skynet.error in a tight
-- loop for `bench_flood_seconds`, then waits until the logger has written the
-- last of them to `bench_flood_watch` (the log file, or the node's stdout).
-- Lines written per second, from the first line logged to the last written;
-- and the process's peak RSS.
local skynet = require "skynet"
local bench = require "benchlib"

local function peak_rss_mib()
	local f = io.open "/proc/self/status"
	if not f then
		return 0
	end
	local text = f:read "*a"
	f:close()
	return (tonumber(text:match "VmHWM:%s*(%d+)") or 0) / 1024
end

-- true once `marker` is among the last bytes of the file
local function written(path, marker)
	local f = io.open(path, "rb")
	if not f then
		return false
	end
	local size = f:seek "end"
	f:seek("set", math.max(0, size - 4096))
	local tail = f:read "*a" or ""
	f:close()
	return tail:find(marker, 1, true) ~= nil
end

local function flood(seconds)
	local pad = string.rep("x", 176)
	local lines = 0
	local start = skynet.hpc and skynet.hpc() or nil
	local stop = skynet.now() + bench.ticks(seconds)
	repeat
		for _ = 1, 1000 do
			lines = lines + 1
			skynet.error(string.format("flood %010d %s", lines, pad))
		end
	until skynet.now() >= stop
	return lines, start
end

bench.run("log_flood", function()
	local name = skynet.getenv "bench_flood_name" or "log_flood"
	local watch = assert(skynet.getenv "bench_flood_watch", "bench_flood_watch not set")
	local seconds = bench.knob("bench_flood_seconds", 3)
	local limit = bench.knob("bench_flood_wait", 120)
	local t0 = skynet.now()
	local lines = flood(seconds)
	local marker = string.format("flood done %d lines", lines)
	skynet.error(marker)
	while not written(watch, marker) do
		if bench.seconds(t0) > seconds + limit then
			error(string.format("the logger did not write %d lines within %d s", lines, limit))
		end
		skynet.sleep(1)
	end
	local elapsed = bench.seconds(t0)
	bench.note("%s: %d lines logged in %d s, all written after %.2f s", name, lines, seconds, elapsed)
	bench.result(name, lines / elapsed, "lines/s")
	bench.result(name .. "_rss", peak_rss_mib(), "MiB")
end)
