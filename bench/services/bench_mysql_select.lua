-- mysql_select: concurrent coroutines running a 10-row SELECT on one
-- skynet.db.mysql connection (upstream's API only). queries/s.
local skynet = require "skynet"
local mysql = require "skynet.db.mysql"
local bench = require "benchlib"

bench.run("mysql_select", function()
	local duration = bench.knob("bench_duration", 5)
	local concurrency = bench.knob("bench_mysql_concurrency", 16)
	local db = mysql.connect {
		host = "127.0.0.1", port = bench.knob("bench_mysql_port", 3306),
		user = "bench", password = "bench", database = "bench",
	}
	local sql = "select id, name, score, born from t where id > 40 order by id limit 10"
	local queries = 0
	local stop = bench.workers(concurrency, function(_, running)
		while running() do
			local rows = db:query(sql)
			assert(#rows == 10 and rows[1].id == 41, rows.err)
			queries = queries + 1
		end
	end)
	local n, elapsed, cpu = bench.window(function() return queries end, 0.5, duration)
	stop()
	db:disconnect()
	bench.note("mysql_select: %d queries by %d coroutines on one connection in %.2f s, %s", n, concurrency, elapsed, cpu)
	bench.result("mysql_select", n / elapsed, "queries/s")
end)
