-- skynet.sharetable: load from a table, source or file; query, queryall;
-- update moves every reference of this service to the new version.
local skynet = require "skynet"
local sharetable = require "skynet.sharetable"
local T = require "testlib"

skynet.start(function()
	T.case("loadtable and query", function()
		sharetable.loadtable("t1", { x = 1, y = { "hello world" }, ["hello world"] = true })
		local t = sharetable.query "t1"
		T.eq(t.x, 1)
		T.eq(t.y[1], "hello world")
		T.eq(#t.y, 1)
		T.eq(t["hello world"], true)
		local n = 0
		for _ in pairs(t) do n = n + 1 end
		T.eq(n, 3)
		T.raises("Error newindex", function() t.x = 2 end)
	end)

	T.case("loadstring with arguments replaces the table of that name", function()
		sharetable.loadstring("t1", "return { ... }", 1, 2, 3)
		local t = sharetable.query "t1"
		T.eq(#t, 3)
		T.eq(t[3], 3)
	end)

	T.case("loadfile with arguments", function()
		local file = skynet.getenv "scenario_tmp" .. "/share_table_data.lua"
		local f = assert(io.open(file, "w"))
		f:write("local n = ... ; return { n = n, list = { 'a', 'b' } }")
		f:close()
		sharetable.loadfile(file, 42)
		local t = sharetable.query(file)
		T.eq(t.n, 42)
		T.eq(t.list[2], "b")
	end)

	T.case("query of an unknown name is nil; bad sources fail", function()
		T.eq(sharetable.query "nope", nil)
		T.raises("call failed", sharetable.loadstring, "bad", "return 1")
		T.raises("call failed", sharetable.loadstring, "bad", "syntax error here")
	end)

	T.case("queryall: a list of names, or every name", function()
		sharetable.loadtable("q1", { v = 1 })
		sharetable.loadtable("q2", { v = 2 })
		local some = sharetable.queryall { "q1", "q2", "missing" }
		T.eq(some.q1.v, 1)
		T.eq(some.q2.v, 2)
		T.eq(some.missing, nil)
		local all = sharetable.queryall()
		T.eq(all.q1.v + all.q2.v, 3)
		T.eq(all.t1[1], 1)
	end)

	T.case("update: held tables and subtables see the new version only after update", function()
		sharetable.loadtable("cfg", { level = 1, sub = { name = "old" } })
		local cfg = sharetable.query "cfg"
		local sub = cfg.sub
		local holder = { ref = cfg }
		sharetable.loadtable("cfg", { level = 2, sub = { name = "new" } })
		T.eq(cfg.level, 1, "before update")
		sharetable.update("cfg", "not-loaded")
		T.eq(cfg.level, 2)
		T.eq(holder.ref.level, 2)
		T.eq(sub.name, "new")
		T.eq(sharetable.query("cfg").level, 2)
	end)

	T.case("a confirm of a tree not handed out is refused", function()
		local service = require "skynet.service"
		local core = require "skynet.sharedata.core"
		local t = sharetable.query "cfg"
		local tree = core.tree(t)
		sharetable.loadtable("roundtrip1", {})	-- our confirm of the query is handled
		local refs = core.getref(tree)
		local svc = service.query "sharetable"
		skynet.send(svc, "lua", "confirm", tree)
		skynet.send(svc, "lua", "confirm", tree)
		sharetable.loadtable("roundtrip2", {})
		T.eq(core.getref(tree), refs, "references unchanged")
		T.eq(t.level, 2)
	end)

	T.done()
end)
