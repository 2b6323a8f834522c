-- Driven by test/node/redis_cluster.sh against a real 3-master redis cluster:
-- prints PASS/FAIL lines, then DONE. Config keys: rc_ports ("p1 p2 p3"),
-- rc_pids (same order), rc_dead (a port nothing listens on).
local skynet = require "skynet"
local redis = require "skynet.db.redis"
local rediscluster = require "skynet.db.redis.cluster"
local crc16 = require "skynet.db.redis.crc16"

local ports, pids = {}, {}
for p in skynet.getenv("rc_ports"):gmatch "%d+" do
	ports[#ports + 1] = tonumber(p)
end
for p in skynet.getenv("rc_pids"):gmatch "%d+" do
	pids[#pids + 1] = p
end
local dead = tonumber(skynet.getenv "rc_dead")

local function check(name, f)
	local ok, err = xpcall(f, debug.traceback)
	print((ok and "PASS " or "FAIL ") .. name .. (ok and "" or ": " .. tostring(err)))
end

local function eq(a, b, what)
	if a ~= b then
		error(string.format("%s: expected %s, got %s", what or "value", tostring(b), tostring(a)), 2)
	end
end

local direct = {}	-- port -> plain connection to that node
local function node(port)
	local c = direct[port]
	if not c then
		c = redis.connect { host = "127.0.0.1", port = port }
		direct[port] = c
	end
	return c
end

skynet.start(function()
	local messages = {}
	local waiter
	local c

	check("crc16 and key slots", function()
		eq(crc16 "123456789", 0x31c3, "crc16")
		c = rediscluster.new({ { host = "127.0.0.1", port = dead }, { host = "127.0.0.1", port = ports[1] } },
			{ timeout = 300 }, function(data, channel, pattern)
				messages[#messages + 1] = { data, channel, pattern }
				if waiter then
					skynet.wakeup(waiter)
				end
			end)
		for _, k in ipairs { "foo", "bar", "{user1000}.following", "a{}b", "123456789" } do
			eq(c:keyslot(k), node(ports[1]):cluster("keyslot", k), "slot of " .. k)
		end
		eq(c:keyslot "{user1000}.following", c:keyslot "{user1000}.followers", "hash tag")
	end)

	check("slot map from the live startup node (first one is down)", function()
		local n = 0
		for _ in pairs(c.slots) do
			n = n + 1
		end
		eq(n, 16384, "slots mapped")
		eq(#c.nodes, 3, "masters")
	end)

	check("keys across slots land on all three masters", function()
		for i = 1, 200 do
			eq(c:set("k" .. i, i), "OK")
		end
		for i = 1, 200 do
			eq(c:get("k" .. i), tostring(i))
		end
		local total = 0
		for _, p in ipairs(ports) do
			local n = node(p):dbsize()
			assert(n > 20, "node " .. p .. " holds " .. n .. " keys")
			total = total + n
		end
		eq(total, 200, "keys in the cluster")
		c:del "list"
		c:rpush("list", 1, 2, 3)
		eq(#c:lrange("list", 0, -1), 3)
		c:hmset("{h}map", "key1", 1, "key2", 2)
		eq(#c:hgetall "{h}map", 4)
		eq(c:eval("return redis.call('get', KEYS[1])", 1, "k7"), "7", "eval routed by key")
		local ok, err = pcall(c.info, c)
		assert(not ok and err:find "No way to dispatch", err)
		local perr = select(2, pcall(c.incr, c, "{h}map"))
		assert(tostring(perr):find "WRONGTYPE", perr)
	end)

	check("pub/sub through the cluster", function()
		c:subscribe "news"
		c:psubscribe "{tag}*team"
		for _ = 1, 200 do
			local sub_ok = node(c.slots[c:keyslot "news"].port):pubsub("NUMSUB", "news")[2] == 1
			local pat_ok = node(c.slots[c:keyslot "{tag}*team"].port):pubsub "NUMPAT" == 1
			if sub_ok and pat_ok then
				break
			end
			skynet.sleep(1)
		end
		c:publish("news", "hello")
		c:publish("{tag}1team", "hi team")
		waiter = coroutine.running()
		for _ = 1, 100 do
			if #messages >= 2 then
				break
			end
			skynet.timeout(5, function() skynet.wakeup(waiter) end)
			skynet.wait(waiter)
		end
		waiter = nil
		table.sort(messages, function(a, b) return a[1] < b[1] end)
		eq(#messages, 2, "messages")
		eq(messages[1][1], "hello"); eq(messages[1][2], "news")
		eq(messages[2][1], "hi team"); eq(messages[2][2], "{tag}1team"); eq(messages[2][3], "{tag}*team")
		c:close_all_watch()
	end)

	check("resharding: ASK while the slot migrates, MOVED after", function()
		local slot = c:keyslot "foo"
		c:set("foo", "bar")
		local src = c.slots[slot]
		local dst_port
		for _, p in ipairs(ports) do
			if p ~= src.port then
				dst_port = p
				break
			end
		end
		local s, d = node(src.port), node(dst_port)
		local src_id, dst_id = s:cluster "myid", d:cluster "myid"
		eq(d:cluster("setslot", slot, "importing", src_id), "OK")
		eq(s:cluster("setslot", slot, "migrating", dst_id), "OK")
		-- a key of that slot the source does not have: ASK to the target
		eq(c:set("{foo}new", "v"), "OK", "set through ASK")
		eq(s:cluster("countkeysinslot", slot), 1, "only foo on the source")
		eq(d:cluster("countkeysinslot", slot), 1, "{foo}new on the target")
		eq(c:get "{foo}new", "v", "get through ASK")
		eq(c.slots[slot].port, src.port, "ASK does not change the map")
		eq(s:migrate("127.0.0.1", dst_port, "", 0, 5000, "KEYS", "foo"), "OK")
		for _, p in ipairs(ports) do
			eq(node(p):cluster("setslot", slot, "node", dst_id), "OK")
		end
		eq(c:get "foo", "bar", "get after MOVED")
		eq(c.slots[slot].port, dst_port, "MOVED updated the map")
		eq(c:get "{foo}new", "v")
		for i = 1, 200 do
			eq(c:get("k" .. i), tostring(i))
		end
	end)

	check("a killed master: its keys fail promptly, the others still work", function()
		local victim = 3
		local victim_key, live_key
		for i = 1, 200 do
			local k = "k" .. i
			local p = c.slots[c:keyslot(k)].port
			if p == ports[victim] then
				victim_key = victim_key or k
			else
				live_key = live_key or k
			end
		end
		os.execute("kill -9 " .. pids[victim])
		local t0 = skynet.now()
		local ok, err = pcall(c.get, c, victim_key)
		assert(not ok, "a key of the dead node still answered")
		assert(skynet.now() - t0 < 500, "took " .. (skynet.now() - t0) .. " cs")
		print("# dead node error: " .. tostring(err))
		eq(c:get(live_key), live_key:sub(2), "live node")
	end)

	for _, conn in pairs(direct) do
		pcall(conn.disconnect, conn)
	end
	c:close_all_connection()
	print "DONE"
end)
