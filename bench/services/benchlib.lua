-- Shared helpers of the benchmark services: config knobs, result lines on
-- stdout, elapsed time on the skynet clock, process RSS, and a runner that
-- reports failures as BENCH_ERROR and then stops the node.
local skynet = require "skynet"
require "skynet.manager"

local bench = {}

-- a numeric config key (written by bench/run.sh), or the default
function bench.knob(key, default)
	return tonumber(skynet.getenv(key)) or default
end

-- stdout is read by run.sh; flush so nothing is lost when the node aborts
function bench.line(text)
	io.stdout:write(text, "\n")
	io.stdout:flush()
end

function bench.result(name, value, unit)
	bench.line(string.format("BENCH %s %.2f %s", name, value, unit))
end

function bench.note(fmt, ...)
	bench.line("# " .. fmt:format(...))
end

function bench.error(name, reason)
	local text = tostring(reason):gsub("[\r\n]+", " | ")
	bench.line(string.format("BENCH_ERROR %s %s", name, text))
end

-- seconds of the skynet clock (10 ms ticks) since `start`
function bench.seconds(start)
	return (skynet.now() - start) / 100
end

function bench.ticks(seconds)
	return math.floor(seconds * 100 + 0.5)
end

-- VmRSS of the skynet process in KiB, or nil when /proc is unavailable
function bench.rss_kib()
	local f = io.open("/proc/self/status")
	if not f then
		return nil
	end
	local text = f:read "*a"
	f:close()
	return tonumber(text:match "VmRSS:%s*(%d+)")
end

-- user + system CPU seconds of the whole skynet process so far, or nil.
-- On a shared machine this tells how much CPU a measured window really got.
function bench.cpu_seconds()
	local f = io.open("/proc/self/stat")
	if not f then
		return nil
	end
	local text = f:read "*a"
	f:close()
	-- fields after "(comm)": state is the 3rd field, utime the 14th
	local rest = text:match "%)%s+(.*)"
	local fields = {}
	for word in (rest or ""):gmatch "%S+" do
		fields[#fields + 1] = word
	end
	local utime, stime = tonumber(fields[12]), tonumber(fields[13])
	if not (utime and stime) then
		return nil
	end
	return (utime + stime) / 100	-- USER_HZ is 100 on Linux
end

-- "cpu X s (Y cores)" for a window that started at cpu0 and took `elapsed`
function bench.cpu_note(cpu0, elapsed)
	local cpu1 = bench.cpu_seconds()
	if not (cpu0 and cpu1) or elapsed <= 0 then
		return "cpu n/a"
	end
	return string.format("cpu %.2f s (%.2f cores)", cpu1 - cpu0, (cpu1 - cpu0) / elapsed)
end

-- Runs `body` as the start service's job. Whatever happens, prints
-- BENCH_DONE so the driver stops waiting, then aborts the node.
function bench.run(name, body)
	skynet.start(function()
		skynet.fork(function()
			local ok, err = xpcall(body, debug.traceback)
			if not ok then
				bench.error(name, err)
			end
			bench.line("BENCH_DONE " .. name)
			skynet.timeout(5, skynet.abort)
		end)
	end)
end

-- Starts `count` coroutines running `loop(i, is_running)` and returns a
-- stop function that waits until all of them have returned.
function bench.workers(count, loop)
	local running = true
	local left = count
	local waiter
	local function is_running()
		return running
	end
	for i = 1, count do
		skynet.fork(function()
			loop(i, is_running)
			left = left - 1
			if left == 0 and waiter then
				skynet.wakeup(waiter)
			end
		end)
	end
	return function()
		running = false
		if left > 0 then
			waiter = coroutine.running()
			skynet.wait(waiter)
		end
	end
end

-- Lets `counter()` run for a warm-up, then returns how much it grew over
-- `duration` seconds, the measured seconds and a note on the CPU used.
function bench.window(counter, warmup, duration)
	skynet.sleep(bench.ticks(warmup))
	local c0, t0, cpu0 = counter(), skynet.now(), bench.cpu_seconds()
	skynet.sleep(bench.ticks(duration))
	local n, elapsed = counter() - c0, bench.seconds(t0)
	return n, elapsed, bench.cpu_note(cpu0, elapsed)
end

function bench.median(list)
	local v = {}
	for i, x in ipairs(list) do
		v[i] = x
	end
	table.sort(v)
	local n = #v
	if n % 2 == 1 then
		return v[(n + 1) / 2]
	end
	return (v[n / 2] + v[n / 2 + 1]) / 2
end

return bench
