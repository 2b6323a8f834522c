-- spawn: launch N idle services with skynet.newservice (from C launching
-- coroutines), then kill them all; repeated for several rounds. Reports the
-- median launch rate and the RSS growth per live service of the first round.
local skynet = require "skynet"
local bench = require "benchlib"

local function launch(n, concurrency)
	local services = {}
	local launched = 0
	local start, cpu0 = skynet.now(), bench.cpu_seconds()
	local wait = bench.workers(concurrency, function()
		while launched < n do
			launched = launched + 1
			services[#services + 1] = skynet.newservice "bench_idle"
		end
	end)
	wait()
	local elapsed = bench.seconds(start)
	local cpu = bench.cpu_note(cpu0, elapsed)
	-- a sample of them must answer, proving they are really up
	for i = 1, #services, 50 do
		assert(skynet.call(services[i], "lua", "ping") == true)
	end
	return services, elapsed, cpu
end

bench.run("spawn", function()
	local n = bench.knob("bench_spawn_n", 2000)
	local concurrency = bench.knob("bench_spawn_concurrency", 1)
	local rounds = bench.knob("bench_spawn_rounds", 3)
	for _ = 1, 20 do	-- warm the code cache and the launcher
		skynet.kill(skynet.newservice "bench_idle")
	end
	collectgarbage()
	local rates = {}
	local per_service
	for round = 1, rounds do
		local rss_before = bench.rss_kib()
		local services, elapsed, cpu = launch(n, concurrency)
		local rss_after = bench.rss_kib()
		rates[round] = #services / math.max(elapsed, 0.01)
		if round == 1 and rss_before and rss_after then
			per_service = (rss_after - rss_before) / #services
		end
		local kill_start = skynet.now()
		for _, s in ipairs(services) do
			skynet.kill(s)
		end
		skynet.sleep(10)
		bench.note("spawn round %d: %d services in %.2f s (concurrency %d, %s), killed in %.2f s, RSS %s -> %s KiB",
			round, #services, elapsed, concurrency, cpu, bench.seconds(kill_start),
			tostring(rss_before), tostring(rss_after))
	end
	bench.result("spawn", bench.median(rates), "services/s")
	if per_service then
		bench.result("spawn_mem", per_service, "KiB/service")
	else
		bench.error("spawn_mem", "no VmRSS in /proc/self/status")
	end
end)
