-- Driven by test/node/mysql.sh against a real MariaDB server: prints
-- PASS/FAIL lines, then DONE. Config keys: my_port, my_user, my_pass,
-- my_pid, my_flag (a file the shell creates once the server is restarted).
local skynet = require "skynet"
local mysql = require "skynet.db.mysql"

local port = tonumber(skynet.getenv "my_port")
local user = skynet.getenv "my_user"
local pass = skynet.getenv "my_pass"
local pid = skynet.getenv "my_pid"
local flag = skynet.getenv "my_flag"

local function check(name, f)
	local ok, err = xpcall(f, debug.traceback)
	print((ok and "PASS " or "FAIL ") .. name .. (ok and "" or ": " .. tostring(err)))
end

local function eq(a, b, what)
	if a ~= b then
		error(string.format("%s: expected %s (%s), got %s (%s)", what or "value",
			tostring(b), type(b), tostring(a), type(a)), 2)
	end
end

local function ok_result(r, what)
	if type(r) ~= "table" or r.badresult then
		error((what or "query") .. " failed: " .. tostring(r and r.err), 2)
	end
	return r
end

local function file_exists(path)
	local f = io.open(path)
	if f then
		f:close()
		return true
	end
end

local connects = 0
local function conf(extra)
	local c = {
		host = "127.0.0.1", port = port, user = user, password = pass, database = "skt",
		charset = "utf8mb4", max_packet_size = 64 * 1024 * 1024,
		on_connect = function(db)
			connects = connects + 1
			db:query "set names utf8mb4"
		end,
	}
	for k, v in pairs(extra or {}) do
		c[k] = v
	end
	return c
end

local CREATE = [[
create table types (
  id int primary key auto_increment,
  ti tinyint, tu tinyint unsigned, si smallint, su smallint unsigned, mi mediumint,
  i int, iu int unsigned, bi bigint, bu bigint unsigned,
  f float, d double, dec1 decimal(10,2),
  dt date, dtm datetime(3), ts timestamp null, tm time, yr year,
  c char(10), vc varchar(50), tx text, bl blob, bt bit(8),
  en enum('a','b'), st set('x','y'), js json, bn binary(4), vb varbinary(20)
)]]

local INSERT = [[
insert into types (ti,tu,si,su,mi,i,iu,bi,bu,f,d,dec1,dt,dtm,ts,tm,yr,c,vc,tx,bl,bt,en,st,js,bn,vb)
values (-128,255,-32768,65535,-8388608,-2147483648,4294967295,-9223372036854775808,18446744073709551615,
 1.5,-2.25,12345678.91,'2024-02-29','2024-02-29 23:59:58.125','2001-02-03 04:05:06','-12:34:56',2024,
 'chr','varchar ü','text',x'626c6f6200010203',b'10100101','b','x,y','{"k": [1, 2]}',x'00010203','vb')]]

-- the values both protocols must give for row 1
local expected = {
	ti = -128, tu = 255, si = -32768, su = 65535, mi = -8388608, i = -2147483648, iu = 4294967295,
	bi = "-9223372036854775808", bu = "18446744073709551615", f = 1.5, d = -2.25, dec1 = 12345678.91,
	dt = "2024-02-29", dtm = "2024-02-29 23:59:58.125", ts = "2001-02-03 04:05:06", tm = "-12:34:56",
	yr = 2024, c = "chr", vc = "varchar ü", tx = "text", bl = "blob\0\1\2\3", bt = "\165", en = "b",
	st = "x,y", js = '{"k": [1, 2]}', bn = "\0\1\2\3", vb = "vb",
}

local function check_row(row, what)
	for k, v in pairs(expected) do
		eq(row[k], v, what .. " " .. k)
	end
end

local function check_null_row(row, what)
	for k in pairs(expected) do
		eq(row[k], nil, what .. " NULL " .. k)
	end
end

skynet.start(function()
	local db

	check("auth tokens: mysql_native_password, caching_sha2_password", function()
		local scramble = ""
		for i = 1, 20 do
			scramble = scramble .. string.char(i)
		end
		local function hex(s)
			return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
		end
		-- computed with Python's hashlib from the published formulas
		eq(hex(mysql.auth_token("mysql_native_password", "secret", scramble)), "b32bb3a583e1340c0a1108d58b1be49781ad8c2f")
		if require("skynet.crypt").sha256 then
			eq(hex(mysql.auth_token("caching_sha2_password", "secret", scramble)),
				"746ebe205d56a0707acb3e796e834e0dd7b1d61743b26bd5202c7a623230c7c9")
		else
			print "# skynet.crypt has no sha256 yet: caching_sha2_password token not checked"
		end
		eq(mysql.auth_token("mysql_native_password", "", scramble), "", "empty password")
	end)

	check("wrong password: a clear error", function()
		local ok, err = pcall(mysql.connect, conf { password = "not-the-password" })
		assert(not ok, "connected with a wrong password")
		err = tostring(err)
		assert(err:find "Access denied" and err:find "1045", err)
		assert(not err:find "not%-the%-password", "the password is in the message")
	end)

	check("connect, server_ver, ping, on_connect", function()
		db = mysql.connect(conf())
		assert(db:server_ver():find "MariaDB", db:server_ver())
		local r = ok_result(db:ping(), "ping")
		eq(type(r.server_status), "number")
		eq(connects, 1, "on_connect runs once per connection")
		eq(ok_result(db:query "select database() as d")[1].d, "skt")
	end)

	if not db then
		print "DONE"
		return
	end

	check("every column type, text protocol, and NULLs", function()
		ok_result(db:query "drop table if exists types")
		ok_result(db:query(CREATE), "create")
		local r = ok_result(db:query(INSERT), "insert")
		eq(r.affected_rows, 1); eq(r.insert_id, 1)
		ok_result(db:query "insert into types () values ()", "insert nulls")
		local rows = ok_result(db:query "select * from types order by id")
		eq(#rows, 2)
		check_row(rows[1], "text")
		check_null_row(rows[2], "text")
		eq(rows[2].id, 2)
	end)

	check("every column type, binary protocol (prepared)", function()
		local stmt = ok_result(db:prepare "select * from types where id >= ? order by id", "prepare")
		eq(stmt.param_count, 1)
		eq(#stmt.fields, 28)
		local rows = ok_result(db:execute(stmt, 1), "execute")
		eq(#rows, 2)
		check_row(rows[1], "binary")
		check_null_row(rows[2], "binary")
		db:stmt_close(stmt)
	end)

	check("compact_arrays", function()
		db:set_compact_arrays(true)
		local rows = ok_result(db:query "select 1, 'two', NULL, 4")
		eq(rows[1][1], 1); eq(rows[1][2], "two"); eq(rows[1][3], nil); eq(rows[1][4], 4)
		local stmt = db:prepare "select ?, ?"
		rows = ok_result(db:execute(stmt, "a", 2))
		eq(rows[1][1], "a"); eq(rows[1][2], 2)
		db:stmt_close(stmt)
		db:set_compact_arrays(false)
		local c = mysql.connect(conf { compact_arrays = true })
		eq(ok_result(c:query "select 7")[1][1], 7)
		c:disconnect()
	end)

	check("prepared statements: params of every Lua type, reset, close", function()
		ok_result(db:query "drop table if exists p")
		ok_result(db:query "create table p (id int primary key auto_increment, s varchar(20), n double, b bigint, t tinyint, x int)")
		local ins = ok_result(db:prepare "insert into p (s, n, b, t, x) values (?, ?, ?, ?, ?)")
		eq(ins.param_count, 5)
		ok_result(db:execute(ins, "one", 1.25, 9007199254740992, true, nil))
		ok_result(db:execute(ins, "two", -3, -42, false, 7))
		local sel = ok_result(db:prepare "select s, n, b, t, x from p where id = ?")
		local r = ok_result(db:execute(sel, 1))[1]
		eq(r.s, "one"); eq(r.n, 1.25); eq(r.b, 9007199254740992); eq(r.t, 1); eq(r.x, nil)
		r = ok_result(db:execute(sel, 2))[1]
		eq(r.s, "two"); eq(r.n, -3); eq(r.b, -42); eq(r.t, 0); eq(r.x, 7)
		ok_result(db:stmt_reset(sel), "stmt_reset")
		eq(ok_result(db:execute(sel, 2))[1].s, "two", "after reset")
		local bad = pcall(db.execute, db, sel, 1, 2)
		assert(not bad, "wrong parameter count accepted")
		db:stmt_close(sel)
		db:stmt_close(ins)
		local gone = db:execute(sel, 1)
		assert(gone.badresult and gone.errno == 1243, "closed statement: " .. tostring(gone.err))
		local perr = db:prepare "select nosuch from p where id = ?"
		assert(perr.badresult and perr.errno == 1054, tostring(perr.err))
	end)

	check("multi-statement results and a procedure", function()
		local r = db:query "select 1 as a; select 'x' as b union select 'y'; insert into p (s) values ('m'); select count(*) as n from p"
		assert(r.multiresultset, "not a multi result set")
		eq(#r, 4)
		eq(r[1][1].a, 1); eq(r[2][2].b, "y"); eq(r[3].affected_rows, 1); eq(r[4][1].n, 3)
		local e = db:query "select 1 as a; select nosuch; select 3"
		assert(e.multiresultset and e.badresult and e.errno == 1054, tostring(e.err))
		eq(e[1][1].a, 1)
		eq(ok_result(db:query "select 5 as five")[1].five, 5, "connection in step after an error")
		ok_result(db:query "drop procedure if exists get_p")
		ok_result(db:query "create procedure get_p(in pid int) begin select s from p where id = pid; end")
		local stmt = db:prepare "call get_p(?)"
		local cr = ok_result(db:execute(stmt, 2))
		eq(cr[1][1].s, "two")
		db:stmt_close(stmt)
	end)

	check("quote_sql_str round trip", function()
		local s = "a'b\"c\\d\0e\nf\rg\tz\26 ü"
		ok_result(db:query("insert into p (s) values (" .. mysql.quote_sql_str(s:sub(1, 20)) .. ")"))
		local r = ok_result(db:query "select s from p order by id desc limit 1")
		eq(r[1].s, s:sub(1, 20))
		eq(mysql.quote_sql_str "it's", "'it\\'s'")
	end)

	check("20 MiB BLOB: packets over 16 MiB both ways, text and binary", function()
		ok_result(db:query "drop table if exists big")
		ok_result(db:query "create table big (id int primary key, b longblob)")
		local parts = {}
		for i = 0, 255 do
			parts[#parts + 1] = string.char(i)
		end
		local chunk = table.concat(parts)
		local blob = string.rep(chunk, 20 * 4096)	-- 20 MiB
		local stmt = ok_result(db:prepare "insert into big values (?, ?)")
		ok_result(db:execute(stmt, 1, blob), "insert by execute")
		db:stmt_close(stmt)
		local r = ok_result(db:query "select b from big where id = 1")
		eq(#r[1].b, #blob, "length, text protocol")
		assert(r[1].b == blob, "content differs")
		local sel = db:prepare "select b from big where id = ?"
		r = ok_result(db:execute(sel, 1))
		assert(r[1].b == blob, "content differs, binary protocol")
		db:stmt_close(sel)
		-- a query text over 16 MiB (sent as several packets)
		ok_result(db:query("insert into big values (2, '" .. string.rep("z", 17 * 1024 * 1024) .. "')"), "17 MiB query")
		eq(ok_result(db:query "select length(b) as n from big where id = 2")[1].n, 17 * 1024 * 1024)
	end)

	check("16 concurrent callers on one connection", function()
		local n, done, bad = 16, 0, nil
		local me = coroutine.running()
		for i = 1, n do
			skynet.fork(function()
				for j = 1, 10 do
					local r = db:query(string.format("select %d as i, %d as j", i, j))
					if r.badresult or r[1].i ~= i or r[1].j ~= j then
						bad = string.format("%d/%d", i, j)
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

	check("the server drops the connection: the next call reconnects", function()
		local id = ok_result(db:query "select connection_id() as id")[1].id
		local other = mysql.connect(conf { on_connect = false })
		ok_result(other:query("kill connection " .. id))
		other:disconnect()
		-- the close reaches the channel asynchronously: wait for it (bounded)
		for _ = 1, 200 do
			if not db.sockchannel.__conn then
				break
			end
			skynet.sleep(1)
		end
		local before = connects
		local r = ok_result(db:query "select connection_id() as id")
		assert(r[1].id ~= id, "same connection")
		eq(connects, before + 1, "on_connect ran again")
	end)

	check("server stops answering: pending calls fail within the timeout", function()
		local t = mysql.connect(conf { timeout = 100 })
		ok_result(t:ping())
		os.execute("kill -STOP " .. pid)
		local t0 = skynet.now()
		local results = {}
		local me = coroutine.running()
		for i = 1, 3 do
			skynet.fork(function()
				results[i] = { pcall(t.query, t, "select 1") }
				if #results == 3 and results[1] and results[2] and results[3] then
					skynet.wakeup(me)
				end
			end)
		end
		skynet.wait(me)
		local waited = skynet.now() - t0
		os.execute("kill -CONT " .. pid)
		for i = 1, 3 do
			assert(not results[i][1], "call " .. i .. " succeeded")
		end
		assert(tostring(results[1][2]):find "timeout", tostring(results[1][2]))
		assert(waited >= 90 and waited < 300, "waited " .. waited .. " cs")
		eq(ok_result(t:query "select 2 as x")[1].x, 2, "next call reconnects")
		t:disconnect()
	end)

	check("server killed mid-query: the call errors promptly, the next call after restart succeeds", function()
		local result
		local me = coroutine.running()
		local t0
		skynet.fork(function()
			result = { pcall(db.query, db, "select sleep(30)") }
			skynet.wakeup(me)
		end)
		skynet.sleep(20)	-- let the query reach the server
		t0 = skynet.now()
		os.execute("kill -9 " .. pid)
		skynet.wait(me)
		assert(not result[1], "the query survived its server")
		assert(skynet.now() - t0 < 300, "error after " .. (skynet.now() - t0) .. " cs")
		print "RESTART_MYSQL"
		for _ = 1, 3000 do
			if file_exists(flag) then
				break
			end
			skynet.sleep(1)
		end
		assert(file_exists(flag), "mysql was not restarted")
		eq(ok_result(db:query "select 3 as x")[1].x, 3)
	end)

	db:disconnect()
	print "DONE"
end)
