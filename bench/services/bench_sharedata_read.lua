-- sharedata_read: one reader service per worker thread reads random fields
-- two deep (cfg[a][b].v) through sharedata proxies. reads/s.
-- sharedata_mem: a ~10 MiB table shared by 100 services: the RSS those
-- services add by querying it and reading through it, KiB in total.
local skynet = require "skynet"
local sharedata = require "skynet.sharedata"
local bench = require "benchlib"

local function read_rate()
	local duration = bench.knob("bench_duration", 5)
	local nreaders = bench.knob("thread", 2)
	local cfg = {}
	local keys1, keys2 = {}, {}
	for i = 1, 64 do
		keys1[i] = "group" .. i
		local g = {}
		for j = 1, 64 do
			keys2[j] = "item" .. j
			g["item" .. j] = { v = i * j, name = "n" .. j }
		end
		cfg["group" .. i] = g
	end
	sharedata.new("bench_cfg", cfg)
	local readers = {}
	for i = 1, nreaders do
		readers[i] = skynet.newservice "bench_share_reader"
	end
	for i = 1, nreaders do	-- warm-up
		skynet.call(readers[i], "lua", "read", 0.3, keys1, keys2, i)
	end
	local total, done = 0, 0
	local waiter = coroutine.running()
	local t0 = skynet.now()
	for i = 1, nreaders do
		skynet.fork(function()
			local n = skynet.call(readers[i], "lua", "read", duration, keys1, keys2, i)
			total = total + n
			done = done + 1
			if done == nreaders then
				skynet.wakeup(waiter)
			end
		end)
	end
	skynet.wait(waiter)
	local elapsed = bench.seconds(t0)
	bench.note("sharedata_read: %d readers, %d reads in %.2f s", nreaders, total, elapsed)
	bench.result("sharedata_read", total / elapsed, "reads/s")
end

local BIG = [[
local t = {}
for i = 1, 20000 do
	t[i] = { id = i, name = "item" .. i, desc = string.rep(string.char(65 + i % 26), 400), tags = { i, i + 1 } }
end
return t
]]

local function memory()
	local nservices = bench.knob("bench_share_services", 100)
	sharedata.new("bench_big", BIG)
	collectgarbage()
	local services = {}
	for i = 1, nservices do
		services[i] = skynet.newservice "bench_share_reader"
	end
	skynet.sleep(20)
	local rss1 = bench.rss_kib()
	for i = 1, nservices do
		local n = skynet.call(services[i], "lua", "hold")
		assert(n == 20000)
	end
	skynet.sleep(20)
	local rss2 = bench.rss_kib()
	bench.note("sharedata_mem: %d services, RSS %d KiB before they query, %d KiB after", nservices, rss1, rss2)
	local ok, core = pcall(require, "skynet.sharedata.core")
	if ok and core.stat then	-- ours only: the one native copy
		local trees, bytes = core.stat()
		bench.note("sharedata_mem: %d native trees hold %d KiB", trees, math.floor(bytes / 1024))
	end
	bench.result("sharedata_mem", rss2 - rss1, "KiB")
end

bench.run("sharedata_read", function()
	read_rate()
	memory()
end)
