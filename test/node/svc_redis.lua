-- Driven by test/node/redis.sh against a real redis-server (requirepass set):
-- prints PASS/FAIL lines, then DONE. Config keys: redis_port, redis_pid,
-- redis_pass, redis_flag (a file the shell creates once redis is restarted).
local skynet = require "skynet"
local redis = require "skynet.db.redis"

local port = tonumber(skynet.getenv "redis_port")
local pass = skynet.getenv "redis_pass"
local pid = skynet.getenv "redis_pid"
local flag = skynet.getenv "redis_flag"

local function check(name, f)
	local ok, err = xpcall(f, debug.traceback)
	if ok then
		print("PASS " .. name)
	else
		print("FAIL " .. name .. ": " .. tostring(err))
	end
end

local function eq(a, b, what)
	if a ~= b then
		error(string.format("%s: expected %s, got %s", what or "value", tostring(b), tostring(a)), 2)
	end
end

local function conf(extra)
	local c = { host = "127.0.0.1", port = port, auth = pass, db = 3 }
	for k, v in pairs(extra or {}) do
		c[k] = v
	end
	return c
end

local function errors(f, ...)
	local ok, err = pcall(f, ...)
	assert(not ok, "expected an error")
	return tostring(err)
end

local db

local function file_exists(path)
	local f = io.open(path)
	if f then
		f:close()
		return true
	end
end

skynet.start(function()
	check("wrong password is refused", function()
		local err = errors(redis.connect, { host = "127.0.0.1", port = port, auth = "not-the-password" })
		assert(err:find "WRONGPASS", err)
		assert(not err:find "not%-the%-password", err)
		err = errors(redis.watch, { host = "127.0.0.1", port = port, auth = "not-the-password" })
		assert(err:find "WRONGPASS", err)
	end)

	check("no password: NOAUTH error", function()
		local nodb = redis.connect { host = "127.0.0.1", port = port }
		local err = errors(nodb.get, nodb, "x")
		assert(err:find "NOAUTH", err)
		nodb:disconnect()
	end)

	db = redis.connect(conf())

	check("status, bulk, nil, integer replies", function()
		eq(db:set("A", "hello"), "OK", "set")
		eq(db:get "A", "hello", "get")
		eq(db:get "missing", nil, "nil bulk")
		db:del "n"
		eq(db:incr "n", 1, "incr")
		eq(db:incrby("n", 41), 42, "incrby")
		eq(db:set("bin", "a\r\nb\0c"), "OK")
		eq(db:get "bin", "a\r\nb\0c", "binary safe")
		eq(db:set("empty", ""), "OK")
		eq(db:get "empty", "", "empty bulk")
	end)

	check("error reply raises redis's message", function()
		db:set("s", "text")
		local err = errors(db.incr, db, "s")
		assert(err:find "ERR value is not an integer", err)
		eq(db:get "s", "text", "connection still usable")
	end)

	check("arrays, nested arrays, nil array", function()
		db:del "L"
		db:rpush("L", "a", "b", "c")
		local l = db:lrange("L", 0, -1)
		eq(#l, 3); eq(l[1], "a"); eq(l[3], "c")
		local t = db:eval("return {1, {'x', 2}, 'y'}", 0)
		eq(t[1], 1); eq(t[2][1], "x"); eq(t[2][2], 2); eq(t[3], "y")
		eq(db:blpop("nolist", "0.01"), nil, "nil array")
		local hv = db:del { "A", "L" }
		eq(hv, 2, "table of args")
	end)

	check("exists and sismember are booleans", function()
		db:set("E", 1)
		eq(db:exists "E", true)
		eq(db:exists "nope", false)
		db:del "S"
		db:sadd("S", "one")
		eq(db:sismember("S", "one"), true)
		eq(db:sismember("S", "two"), false)
	end)

	check("hash, multi/exec", function()
		db:del "D"
		for i = 1, 10 do
			db:hset("D", i, i * 2)
		end
		eq(#db:hvals "D", 10)
		eq(db:hget("D", 5), "10")
		db:multi()
		eq(db:get "E", "QUEUED")
		eq(db:hget("D", 1), "QUEUED")
		local r = db:exec()
		eq(r[1], "1"); eq(r[2], "2")
	end)

	check("integers past 2^53 stay exact strings", function()
		db:set("big", "9007199254740994")
		eq(db:incr "big", "9007199254740995")
		eq(db:incr "big", "9007199254740996")
		db:set("edge", "9007199254740991")
		eq(db:incr "edge", 9007199254740992, "2^53 is still a number")
		db:set("neg", "-5")
		eq(db:incr "neg", -4)
	end)

	check("SELECT: db 3 is not db 0", function()
		db:set("only3", "x")
		local db0 = redis.connect { host = "127.0.0.1", port = port, auth = pass }
		eq(db0:get "only3", nil, "db 0")
		db0:disconnect()
	end)

	check("AUTH with username (ACL user)", function()
		db:acl("SETUSER", "bob", "on", ">bobpw", "~*", "+@all")
		local b = redis.connect { host = "127.0.0.1", port = port, username = "bob", auth = "bobpw" }
		eq(b:ping(), "PONG")
		b:disconnect()
		errors(redis.connect, { host = "127.0.0.1", port = port, username = "bob", auth = "wrong" })
	end)

	check("large value (1 MiB)", function()
		local v = string.rep("0123456789abcdef", 65536)
		db:set("large", v)
		eq(db:get "large", v)
		db:del "large"
	end)

	check("pipeline with and without results", function()
		local resp = {}
		local r = db:pipeline({
			{ "set", "p1", "v1" },
			{ "incr", "p1" },
			{ "get", "p1" },
			{ "del", "p1" },
		}, resp)
		assert(r == resp)
		eq(#resp, 4)
		eq(resp[1].ok, true); eq(resp[1].out, "OK")
		eq(resp[2].ok, false); assert(resp[2].out:find "ERR")
		eq(resp[3].out, "v1")
		eq(resp[4].out, 1)
		eq(db:pipeline { { "set", "p2", 7 }, { "incrby", "p2", 3 } }, 10, "last reply")
		local ops = {}
		for i = 1, 100 do
			ops[i] = { "rpush", "plist", i }
		end
		db:del "plist"
		eq(db:pipeline(ops), 100)
	end)

	check("32 concurrent callers on one connection", function()
		local n, done = 32, 0
		local bad
		local me = coroutine.running()
		for i = 1, n do
			skynet.fork(function()
				for j = 1, 20 do
					local k = "c" .. i .. "_" .. j
					db:set(k, k)
					if db:get(k) ~= k then
						bad = k
					end
				end
				done = done + 1
				if done == n then
					skynet.wakeup(me)
				end
			end)
		end
		skynet.wait(me)
		assert(not bad, bad)
	end)

	check("RESP3 replies (HELLO 3)", function()
		local r3 = redis.connect(conf())
		local hello = r3:hello(3)	-- a map, as a flat key/value array
		local info = {}
		for i = 1, #hello, 2 do
			info[hello[i]] = hello[i + 1]
		end
		eq(info.proto, 3, "proto")
		r3:del "H"
		r3:hset("H", "f", "v")
		local h = r3:hgetall "H"
		eq(h[1], "f"); eq(h[2], "v")
		r3:del "Z"
		r3:zadd("Z", 1.5, "m")
		eq(r3:zscore("Z", "m"), 1.5, "double")
		eq(r3:get "nothing", nil, "null")
		eq(r3:exists "H", true)
		eq(r3:debug("protocol", "true"), true, "boolean true")
		eq(r3:debug("protocol", "false"), false, "boolean false")
		eq(r3:debug("protocol", "null"), nil, "null")
		eq(r3:debug("protocol", "bignum"), "1234567999999999999999999999999999999", "bignum")
		eq(r3:debug("protocol", "verbatim"), "This is a verbatim\nstring", "verbatim")
		local a = r3:debug("protocol", "attrib")
		eq(a, "Some real reply following the attribute", "attribute skipped")
		local set = r3:smembers "S"
		eq(set[1], "one", "set")
		r3:disconnect()
	end)

	check("pub/sub: subscribe, psubscribe, unsubscribe", function()
		local w = redis.watch(conf())
		w:subscribe "foo"
		w:psubscribe "hello.*"
		local got = {}
		local me = coroutine.running()
		skynet.fork(function()
			while true do
				local ok, data, ch, pat = pcall(w.message, w)
				if not ok then
					break
				end
				got[#got + 1] = { data, ch, pat }
				if #got == 3 then
					skynet.wakeup(me)
				end
			end
		end)
		-- PUBSUB NUMSUB/NUMPAT tell when the subscriptions are in place
		for _ = 1, 200 do
			local ns = db:pubsub("NUMSUB", "foo")
			if ns[2] == 1 and db:pubsub "NUMPAT" == 1 then
				break
			end
			skynet.sleep(1)
		end
		eq(db:publish("foo", "m1"), 1)
		eq(db:publish("hello.world", "m2"), 1)
		eq(db:publish("other", "m3"), 0)
		eq(db:publish("foo", 4), 1)
		w:unsubscribe "foo"
		w:punsubscribe "hello.*"
		skynet.wait(me)
		eq(got[1][1], "m1"); eq(got[1][2], "foo"); eq(got[1][3], nil)
		eq(got[2][1], "m2"); eq(got[2][2], "hello.world"); eq(got[2][3], "hello.*")
		eq(got[3][1], "4"); eq(got[3][2], "foo")
		for _ = 1, 200 do
			local ns = db:pubsub("NUMSUB", "foo")
			if ns[2] == 0 and db:pubsub "NUMPAT" == 0 then
				break
			end
			skynet.sleep(1)
		end
		eq(db:pubsub("NUMSUB", "foo")[2], 0, "unsubscribed")
		eq(db:publish("foo", "after"), 0)
		w:disconnect()
	end)

	check("server stops answering: the call fails within the timeout", function()
		local t = redis.connect(conf { timeout = 100 })
		eq(t:ping(), "PONG")
		os.execute("kill -STOP " .. pid)
		local t0 = skynet.now()
		local err = errors(t.get, t, "A")
		local waited = skynet.now() - t0
		os.execute("kill -CONT " .. pid)
		assert(waited >= 90 and waited < 300, "waited " .. waited .. " cs")
		assert(err:find "timeout", err)
		eq(t:ping(), "PONG", "reconnected on the next call")
		t:disconnect()
	end)

	check("killed server: the call errors, the next call after restart succeeds", function()
		eq(db:ping(), "PONG")
		os.execute("kill -9 " .. pid)
		local t0 = skynet.now()
		errors(db.get, db, "A")
		assert(skynet.now() - t0 < 300, "error was not prompt")
		print "RESTART_REDIS"
		for _ = 1, 1000 do
			if file_exists(flag) then
				break
			end
			skynet.sleep(1)
		end
		assert(file_exists(flag), "redis was not restarted")
		eq(db:set("after", "restart"), "OK")
		eq(db:get "after", "restart")
		local db0 = redis.connect { host = "127.0.0.1", port = port, auth = pass }
		eq(db0:get "after", nil, "the reconnection selected db 3 again")
		db0:disconnect()
	end)

	db:disconnect()
	print "DONE"
end)
