-- sproto_rt: encode + decode of a 20-field message with nested arrays, in one
-- service, round trips/s. The message is checked once before the window.
local skynet = require "skynet"
local sproto = require "sproto"
local bench = require "benchlib"

local schema = [[
.Item {
	id 0 : integer
	name 1 : string
	count 2 : integer
}
.Msg {
	id 0 : integer
	name 1 : string
	level 2 : integer
	exp 3 : integer
	hp 4 : integer
	mp 5 : integer
	alive 6 : boolean
	x 7 : double
	y 8 : double
	guild 9 : string
	title 10 : string
	vip 11 : integer
	gold 12 : integer
	diamond 13 : integer
	tags 14 : *string
	scores 15 : *integer
	items 16 : *Item
	friends 17 : *integer
	flags 18 : *boolean
	note 19 : string
}
]]

local msg = {
	id = 10001, name = "player_one", level = 57, exp = 123456789, hp = 4500, mp = 1200,
	alive = true, x = 123.5, y = -87.25, guild = "the guild", title = "captain", vip = 3,
	gold = 9876543210, diamond = 4321,
	tags = { "pvp", "raid", "trade", "chat" },
	scores = { 10, 2000, 300000, -5, 70000000000 },
	items = {
		{ id = 1, name = "sword", count = 1 },
		{ id = 2, name = "potion", count = 25 },
		{ id = 3, name = "arrow", count = 999 },
		{ id = 4, name = "shield", count = 1 },
	},
	friends = { 10002, 10003, 10004, 10005, 10006, 10007 },
	flags = { true, false, true, true },
	note = "a message of moderate length for the benchmark",
}

bench.run("sproto_rt", function()
	local duration = bench.knob("bench_duration", 5)
	local sp = sproto.parse(schema)
	local bin = sp:encode("Msg", msg)
	local back = sp:decode("Msg", bin)
	assert(back.gold == msg.gold and back.items[3].count == 999 and #back.scores == 5)
	local n = 0
	local warm = skynet.now() + bench.ticks(0.5)
	while skynet.now() < warm do
		sp:decode("Msg", sp:encode("Msg", msg))
	end
	local t0, cpu0 = skynet.now(), bench.cpu_seconds()
	local stop = t0 + bench.ticks(duration)
	repeat
		for _ = 1, 100 do
			sp:decode("Msg", sp:encode("Msg", msg))
		end
		n = n + 100
	until skynet.now() >= stop
	local elapsed = bench.seconds(t0)
	bench.note("sproto_rt: %d round trips of %d bytes in %.2f s, %s", n, #bin, elapsed,
		bench.cpu_note(cpu0, elapsed))
	bench.result("sproto_rt", n / elapsed, "rt/s")
end)
