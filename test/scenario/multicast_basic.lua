-- skynet.multicast on one node: channel ids, subscribe/publish to many,
-- unsubscribe, delete, a subscriber that exits, custom pack/unpack, and no
-- package left alive afterwards.
local skynet = require "skynet"
local mc = require "skynet.multicast"
local core = require "skynet.multicast.core"
local T = require "testlib"

local got = {}	-- arrival order of { subscriber, channel, source, ... }
local waiting

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		assert(cmd == "got")
		got[#got + 1] = table.pack(...)
		if waiting and #got >= waiting.n then
			skynet.wakeup(waiting.co)
		end
	end)

	-- wait (bounded) until n reports have arrived in all
	local function wait_for(n)
		if #got < n then
			waiting = { n = n, co = coroutine.running() }
			skynet.timeout(500, function()
				if waiting then
					skynet.wakeup(waiting.co)
				end
			end)
			skynet.wait(waiting.co)
			waiting = nil
		end
		return #got
	end

	local function subscribers(n, channel)
		local list = {}
		for i = 1, n do
			list[i] = skynet.newservice "svc_multicast_sub"
			skynet.call(list[i], "lua", "sub", channel, skynet.self())
		end
		return list
	end

	local ch

	T.case("channel ids: harbor id in the low 8 bits, step 256", function()
		ch = mc.new()
		T.eq(ch.channel, 0, "first channel of harbor 0")
		T.eq(tostring(ch), "[Multicast:0]", "tostring")
		local ch2 = mc.new()
		T.eq(ch2.channel, 256, "second channel")
		T.eq(tostring(ch2), "[Multicast:100]", "tostring is hex")
		ch2:delete()
		T.eq(core.nextid(0x7fffff00), 0, "ids stay positive 31-bit")
	end)

	local subs
	T.case("ten subscribers each get one copy, with the publisher as source", function()
		subs = subscribers(10, ch.channel)
		ch:publish("Hello World", 42, { k = "v" })
		T.eq(wait_for(10), 10, "reports")
		local seen = {}
		for _, r in ipairs(got) do
			T.eq(r[2], ch.channel, "channel")
			T.eq(r[3], skynet.self(), "source is the publisher")
			T.eq(r[4], "Hello World") T.eq(r[5], 42) T.eq(r[6].k, "v")
			T.ok(not seen[r[1]], "one copy each")
			seen[r[1]] = true
		end
		T.eq(core.live(), 0, "no package left")
	end)

	T.case("messages arrive in publish order", function()
		got = {}
		for i = 1, 20 do
			ch:publish(i)
		end
		T.eq(wait_for(200), 200, "reports")
		local last = {}
		for _, r in ipairs(got) do
			T.eq(r[4], (last[r[1]] or 0) + 1, "order")
			last[r[1]] = r[4]
		end
	end)

	T.case("an unsubscribed service gets nothing more", function()
		got = {}
		skynet.call(subs[1], "lua", "unsub")
		ch:publish "after unsub"
		T.eq(wait_for(9), 9, "reports")
		skynet.sleep(10)
		T.eq(#got, 9, "nine, not ten")
		for _, r in ipairs(got) do
			T.ok(r[1] ~= subs[1], "not the unsubscribed one")
		end
	end)

	T.case("a subscriber that exits is dropped; the others still get messages", function()
		got = {}
		skynet.send(subs[2], "lua", "exit")
		skynet.sleep(5)
		for i = 1, 3 do
			ch:publish("after exit", i)
		end
		T.eq(wait_for(24), 24, "reports")
		T.eq(core.live(), 0, "no package left")
	end)

	T.case("publishing to a channel nobody subscribes to releases the message", function()
		local lonely = mc.new()
		for i = 1, 100 do
			lonely:publish(string.rep("x", 1000), i)
		end
		T.eq(core.live(), 0, "no package left")
		lonely:delete()
	end)

	T.case("a deleted channel delivers nothing and leaks nothing", function()
		got = {}
		local id = ch.channel
		ch:delete()
		T.eq(ch.channel, nil, "the object forgets its id")
		local again = mc.new { channel = id }
		again:publish "after delete"
		skynet.sleep(10)
		T.eq(#got, 0, "nothing delivered")
		T.eq(core.live(), 0, "no package left")
	end)

	T.case("custom pack/unpack and a subscriber in the publishing service", function()
		local mine = {}
		local c = mc.new {
			pack = function(s) return skynet.pack(s:upper()) end,
			unpack = function(msg, sz) return "<" .. skynet.unpack(msg, sz) .. ">" end,
			dispatch = function(_, source, s)
				mine[#mine + 1] = { source, s }
			end,
		}
		c:subscribe()
		c:publish "abc"
		for _ = 1, 50 do
			if #mine > 0 then break end
			skynet.sleep(1)
		end
		T.eq(#mine, 1, "delivered")
		T.eq(mine[1][2], "<ABC>", "through pack and unpack")
		T.eq(mine[1][1], skynet.self(), "source")
		c:unsubscribe()
		c:publish "def"
		skynet.sleep(5)
		T.eq(#mine, 1, "nothing after unsubscribe")
		c:delete()
	end)

	T.done()
end)
