-- crypt_sha1 / crypt_des: skynet.crypt on a 1 MiB buffer in one service, MB/s
-- (crypt_des: desencode, ISO 7816-4 padding; each result checked by its
-- inverse or a known digest before the window).
local skynet = require "skynet"
local crypt = require "skynet.crypt"
local bench = require "benchlib"

local which = skynet.getenv "bench_crypt" or "sha1"
local name = "crypt_" .. which

local function buffer()
	local t = {}
	for i = 1, 4096 do
		t[i] = string.char(i % 251, (i * 7) % 256, (i * 13) % 256, i % 256)
	end
	return string.rep(table.concat(t), 64) -- 16 KiB * 64 = 1 MiB
end

bench.run(name, function()
	local duration = bench.knob("bench_duration", 5)
	local data = buffer()
	assert(#data == 1048576)
	local op
	if which == "sha1" then
		assert(crypt.hexencode(crypt.sha1(string.rep("a", 10000))) == "a080cbda64850abb7b7f67ee875ba068074ff6fe")
		op = function() return crypt.sha1(data) end
	else
		local key = "12345678"
		assert(crypt.desdecode(key, crypt.desencode(key, data)) == data)
		op = function() return crypt.desencode(key, data) end
	end
	op()
	local t0, cpu0 = skynet.now(), bench.cpu_seconds()
	local stop = t0 + bench.ticks(duration)
	local n = 0
	repeat
		op()
		n = n + 1
	until skynet.now() >= stop
	local elapsed = bench.seconds(t0)
	bench.note("%s: %d MiB in %.2f s, %s", name, n, elapsed, bench.cpu_note(cpu0, elapsed))
	bench.result(name, n / elapsed * 1.048576, "MB/s")
end)
