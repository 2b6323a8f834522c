-- skynet.db.mongo against the OP_MSG server at 127.0.0.1:$mongo_port, in the
-- spirit of upstream's test/testmongodb.lua. Plain Lua 5.1 syntax and only
-- upstream's API, so the same service runs on upstream skynet (the commands
-- it sends there were recorded to test/vectors/mongo_opmsg.jsonl).
-- Prints PASS/FAIL/SKIP lines and DONE.
local skynet = require "skynet"
require "skynet.manager"
local mongo = require "skynet.db.mongo"
local bson = require "bson"

local port = tonumber(skynet.getenv "mongo_port")

local function out(s)
	io.stdout:write(s, "\n")
	io.stdout:flush()
end

local function case(name, fn)
	local ok, err = xpcall(fn, debug.traceback)
	if ok then
		out("PASS mongo " .. name)
	elseif tostring(err):find("SKIP:", 1, true) then
		out("SKIP mongo " .. name .. " " .. tostring(err):match("SKIP:([^\n]*)"))
	else
		out("FAIL mongo " .. name .. " : " .. tostring(err):gsub("\n", " | "))
	end
end

local function eq(a, b, what)
	if a ~= b then
		error(string.format("%s: expected %s, got %s", what or "value", tostring(b), tostring(a)), 2)
	end
end

local function client()
	return mongo.client { host = "127.0.0.1", port = port }
end

local function fresh(db, name)
	local coll = db[name]
	coll:dropIndex("*")
	coll:drop()
	return coll
end

skynet.start(function()
	local c = client()
	local db = c.testdb

	case("insert without index", function()
		local coll = fresh(db, "plain")
		for _ = 1, 2 do
			local ok, err, r = coll:safe_insert { test_key = 1 }
			assert(ok and r.n == 1, err)
		end
		eq(coll:find():count(), 2, "count")
	end)

	case("unique index refuses a duplicate", function()
		local coll = fresh(db, "unique")
		coll:ensureIndex({ test_key = 1 }, { unique = true, name = "test_key_index" })
		local ok, err, r = coll:safe_insert { test_key = 1 }
		assert(ok and r.n == 1, err)
		ok, err = coll:safe_insert { test_key = 1 }
		assert(ok == false and string.find(err, "duplicate key error"), tostring(err))
	end)

	case("find, findOne, sort, skip, limit, count, delete", function()
		local coll = fresh(db, "find")
		eq(coll:find():hasNext(), false, "empty collection")
		coll:createIndex { { test_key = 1 }, { test_key2 = -1 }, unique = true }
		assert(coll:safe_insert { test_key = 1, test_key2 = 1 })
		local cursor = coll:find()
		eq(cursor:hasNext(), true, "hasNext")
		eq(cursor:next().test_key, 1, "first doc")
		assert(coll:safe_insert { test_key = 1, test_key2 = 2 })
		assert(coll:safe_insert { test_key = 2, test_key2 = 3 })
		eq(coll:findOne({ test_key2 = 1 }).test_key2, 1, "findOne")
		local q = coll:find({ test_key2 = { ["$gt"] = 0 } }):sort({ test_key = 1 }, { test_key2 = -1 }):skip(1):limit(1)
		eq(q:count(), 3, "count")
		eq(q:count(true), 1, "count with limit and skip")
		eq(q:hasNext(), true, "sorted hasNext")
		eq(q:next().test_key2, 1, "sorted, skipped")
		coll:delete { test_key = 1 }
		coll:delete { test_key = 2 }
		eq(coll:findOne { test_key = 1 }, nil, "deleted")
	end)

	case("projection", function()
		local coll = fresh(db, "proj")
		assert(coll:safe_insert { a = 1, b = 2, c = 3 })
		local doc = coll:findOne({ a = 1 }, { b = 1 })
		eq(doc.b, 2, "b")
		eq(doc.c, nil, "c")
	end)

	case("cursor batches through getMore and 64-bit cursor ids", function()
		local coll = fresh(db, "batches")
		local docs = {}
		for i = 1, 250 do
			docs[i] = { n = i }
		end
		local ok, err, r = coll:safe_batch_insert(docs)
		assert(ok and r.n == 250, err)
		local cursor = coll:find():sort { n = 1 }:batchSize(60)
		local seen = 0
		while cursor:hasNext() do
			local doc = cursor:next()
			seen = seen + 1
			eq(doc.n, seen, "order")
		end
		eq(seen, 250, "documents")
		local limited = coll:find():sort { n = 1 }:batchSize(10):limit(15)
		seen = 0
		while limited:hasNext() do
			limited:next()
			seen = seen + 1
		end
		assert(seen >= 15, "limit reached after " .. seen)
	end)

	case("update, upsert, batch update and delete", function()
		local coll = fresh(db, "upd")
		assert(coll:safe_insert { name = "a", v = 1 })
		local ok, err, r = coll:safe_update({ name = "a" }, { ["$inc"] = { v = 10 } })
		assert(ok and r.n == 1, err)
		eq(coll:findOne({ name = "a" }).v, 11, "inc")
		ok, err, r = coll:safe_update({ name = "b" }, { ["$set"] = { v = 5 } }, true)
		assert(ok and r.upserted, err)
		eq(coll:findOne({ name = "b" }).v, 5, "upserted")
		ok, err = coll:safe_batch_update {
			{ query = { name = "a" }, update = { ["$set"] = { v = 0 } } },
			{ query = { name = "b" }, update = { ["$set"] = { v = 0 } } },
		}
		assert(ok, err)
		eq(coll:find({ v = 0 }):count(), 2, "batch update")
		ok, err, r = coll:safe_batch_delete({ { name = "a" }, { name = "b" } }, true)
		assert(ok and r.n == 2, err)
	end)

	case("unacknowledged writes arrive in order", function()
		local coll = fresh(db, "w0")
		coll:insert { k = 1 }
		coll:batch_insert { { k = 2 }, { k = 3 } }
		coll:update({ k = 1 }, { ["$set"] = { seen = true } })
		coll:delete({ k = 3 }, true)
		eq(coll:find():count(), 2, "count")
		eq(coll:findOne({ k = 1 }).seen, true, "updated")
	end)

	case("findAndModify", function()
		local coll = fresh(db, "counters")
		assert(coll:safe_insert { name = "userid", nextid = 1 })
		local r = coll:findAndModify { query = { name = "userid" }, update = { ["$inc"] = { nextid = 1 } }, new = true }
		eq(r.ok, 1, "ok")
		eq(r.value.nextid, 2, "new value")
	end)

	case("aggregate", function()
		local coll = fresh(db, "agg")
		local docs = {}
		for i = 1, 20 do
			docs[i] = { n = i, odd = i % 2 == 1 }
		end
		assert(coll:safe_batch_insert(docs))
		local cursor = coll:aggregate({ { ["$match"] = { odd = true } } }):sort { n = -1 }:limit(3)
		eq(cursor:count(), 10, "count")
		local got = {}
		while cursor:hasNext() do
			got[#got + 1] = cursor:next().n
		end
		eq(table.concat(got, ","), "19,17,15", "sorted and limited")
	end)

	case("runCommand errors come back as replies", function()
		local r = db:runCommand("noSuchCommand")
		eq(r.ok, 0, "ok")
		assert(r.errmsg:find("no such command"), r.errmsg)
	end)

	case("transaction commits or aborts", function()
		if not pcall(mongo.enable, "transaction") then
			error("SKIP: mongo.enable 'transaction' does not load here")
		end
		local coll = fresh(db, "txn")
		local err = db:run_transaction(function()
			assert(coll:safe_insert { k = "kept" })
			coll:insert { k = "kept too" }
		end)
		eq(err, nil, "commit")
		err = db:run_transaction(function()
			assert(coll:safe_insert { k = "dropped" })
			error "roll back"
		end)
		assert(err and err:find("roll back"), tostring(err))
		eq(coll:find():count(), 2, "documents after abort")
		eq(coll:findOne { k = "dropped" }, nil, "aborted insert")
	end)

	case("a malformed reply fails the call, the next call reconnects", function()
		local ok, err = pcall(db.runCommand, db, "fake_garbage")
		assert(not ok, "garbage accepted")
		assert(tostring(err):find("Unsupported opcode") or tostring(err):find("socket"), tostring(err))
		eq(db:runCommand("ping").ok, 1, "ping after")
	end)

	case("a closed connection fails the call, the next call reconnects", function()
		local ok = pcall(db.runCommand, db, "fake_close")
		assert(not ok, "closed connection answered")
		eq(db:runCommand("ping").ok, 1, "ping after")
	end)

	-- A server that requires SCRAM-SHA-1 (fake_mongod.py --user admin:123456)
	local auth_port = tonumber(skynet.getenv "mongo_auth_port")
	local function secure(password)
		return mongo.client { host = "127.0.0.1", port = auth_port,
			username = password and "admin", password = password, authdb = "admin" }
	end

	case("SCRAM-SHA-1 login with the right password", function()
		if not auth_port then
			error("SKIP: no mongo_auth_port")
		end
		local sc = secure("123456")
		local ok, err, r = sc.securedb.items:safe_insert { k = 1 }
		assert(ok and r.n == 1, err)
		sc:disconnect()
	end)

	case("a wrong password is refused", function()
		if not auth_port then
			error("SKIP: no mongo_auth_port")
		end
		local ok, err = pcall(secure, "654321")
		assert(not ok, "logged in with a wrong password")
		assert(not tostring(err):find("654321", 1, true), "the password is in the error")
	end)

	case("without a login commands are refused", function()
		if not auth_port then
			error("SKIP: no mongo_auth_port")
		end
		local sc = secure(nil)
		local ok, err = sc.securedb.items:safe_insert { k = 2 }
		assert(not ok and err:find("requires authentication"), tostring(err))
		sc:disconnect()
	end)

	c:disconnect()
	out("DONE")
	skynet.abort()
end)
