-- lua54_bitops: rounds/s of CRC32 + xorshift32 written with Lua 5.4's
-- operators (bench_lua54_ops, translated on our node), and, where LuaJIT's
-- bit library exists, of the same round written with bit.* by hand; on our
-- node also the translator's speed. Plain Lua: runs on upstream skynet too.
local skynet = require "skynet"
local bench = require "benchlib"

local SEED = 2463534242

-- Rounds per second of round(data, seed) over `duration` seconds.
local function measure(round, data, duration)
	local rounds, sink = 0, 0
	local deadline = skynet.now() + bench.ticks(duration)
	local t0 = skynet.now()
	repeat
		for i = 1, 50 do
			sink = sink + round(data, SEED + i)
		end
		rounds = rounds + 50
	until skynet.now() >= deadline
	return rounds / bench.seconds(t0), sink
end

local function translation_rate(duration)
	local ok, lua54 = pcall(require, "skynet.lua54")
	if not ok then
		return nil
	end
	local f = assert(io.open(skynet.getenv "bench_lua54_source"))
	local unit = f:read "*a"
	f:close()
	local parts = {}
	for i = 1, math.ceil(2 * 1024 * 1024 / #unit) do
		parts[i] = "do " .. unit .. " end\n" -- a block each: one `return` per block
	end
	local source = table.concat(parts)
	local bytes, t0 = 0, os.clock()
	repeat
		assert(lua54.translate(source, "=bench"))
		bytes = bytes + #source
	until os.clock() - t0 >= duration
	return bytes / (1024 * 1024) / (os.clock() - t0)
end

bench.run("lua54_bitops", function()
	local duration = bench.knob("bench_duration", 5)
	local data = string.rep("skynet on LuaJIT, Lua 5.4 syntax. ", 40):sub(1, 1024)
	local ops = require "bench_lua54_ops"
	local expected = ops.round(data, SEED)
	local rate = measure(ops.round, data, duration)
	bench.result("lua54_bitops", rate, "rounds/s")
	if rawget(_G, "bit") then
		local hand = require "bench_lua54_hand"
		assert(hand.round(data, SEED) == expected, "the two rounds disagree")
		local hand_rate = measure(hand.round, data, duration)
		bench.result("lua54_bitops_hand", hand_rate, "rounds/s")
		bench.note("lua54_bitops / hand-written bit.*: %.2f", rate / hand_rate)
	end
	local mbps = translation_rate(math.min(duration, 2))
	if mbps then
		bench.result("lua54_translate", mbps, "MB/s")
	end
end)
