-- bson_rt: one service encodes and decodes a 30-field document with nested
-- documents and arrays, as fast as it can. Round trips/s.
local skynet = require "skynet"
local bson = require "bson"
local bench = require "benchlib"

local function document()
	local doc = {
		name = "player-0001", level = 42, exp = 1234567, gold = 98765.5, vip = true,
		guild = "dragons", title = "the patient", online = false, score = 3.25, rank = 17,
		hp = 4500, mp = 1200, x = 103.5, y = -20.25, z = 7, map = "forest", server = 3,
		created = bson.date(1700000000), id = bson.objectid("0123456789abcdef01234567"),
		avatar = bson.binary("\1\2\3\4\5\6\7\8"),
		stats = { str = 10, dex = 12, int = 14, wis = 9, con = 11, cha = 8 },
		position = { zone = "north", cell = { 12, 40 } },
		friends = { 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008 },
		tags = { "pvp", "raid", "crafter" },
		bag = { { item = 1, n = 3 }, { item = 2, n = 1 }, { item = 7, n = 20 } },
		quests = { daily = 3, weekly = 1, story = 12 },
		settings = { sound = 0.5, music = 0.25, lang = "en" },
		last_login = 1700001234, last_ip = "127.0.0.1", note = "",
	}
	return doc
end

bench.run("bson_rt", function()
	local duration = bench.knob("bench_duration", 5)
	local doc = document()
	local n = 0
	for _ in pairs(doc) do n = n + 1 end
	assert(n == 30, "fields: " .. n)
	local function batch(count)
		for _ = 1, count do
			local t = bson.decode(bson.encode(doc))
			if t.level ~= 42 or t.bag[3].n ~= 20 or t.position.cell[2] ~= 40 then
				error("round trip changed the document")
			end
		end
	end
	local t0 = skynet.now()
	while skynet.now() - t0 < 50 do	-- warm-up, 0.5 s
		batch(100)
	end
	local count, cpu0 = 0, bench.cpu_seconds()
	t0 = skynet.now()
	local limit = bench.ticks(duration)
	while skynet.now() - t0 < limit do
		batch(100)
		count = count + 100
	end
	local elapsed = bench.seconds(t0)
	bench.note("bson_rt: %d round trips in %.2f s, %s", count, elapsed, bench.cpu_note(cpu0, elapsed))
	bench.result("bson_rt", count / elapsed, "roundtrips/s")
end)
