-- skynet.sharedata: proxies onto one native copy, updates seen by every
-- reader, delete, deepcopy, the errors, and references released.
local skynet = require "skynet"
local sharedata = require "skynet.sharedata"
local core = require "skynet.sharedata.core"
local T = require "testlib"

local function keys_of(obj)
	local ks = {}
	for k in pairs(obj) do
		ks[#ks + 1] = tostring(k)
	end
	table.sort(ks)
	return table.concat(ks, ",")
end

skynet.start(function()
	local reader = skynet.newservice "svc_share_reader"

	T.case("query: fields, nesting two deep, # and missing keys", function()
		sharedata.new("conf", { a = 1, s = "str", f = false, r = 2.5, list = { 10, 20, 30 },
			nest = { inner = { x = "deep", [7] = "seven" } } })
		local c = sharedata.query "conf"
		T.eq(c.a, 1)
		T.eq(c.s, "str")
		T.eq(c.f, false)
		T.eq(c.r, 2.5)
		T.eq(c.nest.inner.x, "deep")
		T.eq(c.nest.inner[7], "seven")
		T.eq(#c.list, 3)
		T.eq(c.list[2], 20)
		T.eq(c.missing, nil)
		T.eq(c.nest.inner.missing, nil)
		T.eq(c[true], nil, "other key types read nil")
		T.eq(c.nest, c.nest, "a sub-proxy is cached")
		T.eq(sharedata.query "conf", c, "one proxy per name")
	end)

	T.case("pairs and ipairs walk the shared table", function()
		local c = sharedata.query "conf"
		T.eq(keys_of(c), "a,f,list,nest,r,s")
		local sum, n = 0, 0
		for i, v in ipairs(c.list) do
			n = i
			sum = sum + v
		end
		T.eq(n, 3)
		T.eq(sum, 60)
		local seen = {}
		for k, v in pairs(c.list) do
			seen[k] = v
		end
		T.eq(seen[1] + seen[2] + seen[3], 60)
	end)

	T.case("proxies are read-only", function()
		local c = sharedata.query "conf"
		T.raises("Error newindex, the key []", function() c.a = 2 end)
		T.raises("Error newindex, the key [.nest.inner]", function() c.nest.inner.y = 2 end)
	end)

	T.case("another service reads the same data", function()
		T.eq(skynet.call(reader, "lua", "read", "conf", "nest", "inner", "x"), "deep")
		T.eq(skynet.call(reader, "lua", "len", "conf", "list"), 3)
	end)

	T.case("update: every reader's proxies see the new data", function()
		local c = sharedata.query "conf"
		local nest = c.nest
		skynet.call(reader, "lua", "hold", "conf", "list")
		sharedata.update("conf", { a = 2, nest = { inner = { x = "new" } } })
		T.eq(c.a, 2, "own proxy")
		T.eq(nest.inner.x, "new", "a held sub-proxy follows its key")
		T.eq(c.s, nil, "removed key")
		T.eq(skynet.call(reader, "lua", "read", "conf", "a"), 2, "other service")
		T.eq(skynet.call(reader, "lua", "read", "conf", "nest", "inner", "x"), "new")
		local ok, err = skynet.call(reader, "lua", "held", "list", 1)
		T.eq(ok, false)
		T.ok(tostring(err):find("The key [.list] doesn't exist after update", 1, true), err)
	end)

	T.case("new from Lua source with arguments, @file, and nil", function()
		sharedata.new("src", "local a, b = ... ; x = a ; return { sum = a + b }", 3, 4)
		T.eq(sharedata.query("src").sum, 7)
		sharedata.new("globals", "x = 1 ; y = { 'z' }")
		T.eq(sharedata.query("globals").y[1], "z")
		local file = skynet.getenv "scenario_tmp" .. "/share_data_conf.lua"
		local f = assert(io.open(file, "w"))
		f:write("return { from = 'file', n = ... }")
		f:close()
		sharedata.new("file", "@" .. file, 9)
		T.eq(sharedata.query("file").from, "file")
		T.eq(sharedata.query("file").n, 9)
		sharedata.new("empty")
		T.eq(next(sharedata.deepcopy "empty"), nil)
	end)

	T.case("deepcopy returns plain tables and scalars", function()
		local t = sharedata.deepcopy("conf", "nest")
		T.eq(type(t), "table")
		T.eq(getmetatable(t), nil)
		T.eq(t.inner.x, "new")
		T.eq(sharedata.deepcopy("conf", "a"), 2)
		T.eq(sharedata.deepcopy("src").sum, 7, "not queried here before")
		T.eq(sharedata.deepcopy("conf", "nope", "x"), nil)
	end)

	T.case("a proxy packs as the table it shows", function()
		local t = skynet.unpack(skynet.packstring(sharedata.query "conf"))
		T.eq(t.a, 2)
		T.eq(t.nest.inner.x, "new")
	end)

	T.case("bad data is refused with a clear error, the service keeps serving", function()
		T.raises("Unsupport type function", sharedata.new, "bad", { f = print })
		T.raises("call failed", sharedata.new, "bad1", "return { f = print }")
		T.raises("Unsupport value type function", core.new, { f = print })
		T.raises("Invalid key 1.5", core.new, { [1.5] = 1 })
		T.raises("Invalid key type boolean", core.new, { [true] = 1 })
		T.raises("recursive table", function()
			local t = {}
			t.self = t
			core.new(t)
		end)
		T.raises("call failed", sharedata.new, "bad2", { [1.5] = 1 })
		T.raises("call failed", sharedata.new, "conf", {})
		T.raises("call failed", sharedata.query, "nothere")
		T.eq(sharedata.query("conf").a, 2)
	end)

	T.case("shared subtables are stored once and read through both keys", function()
		local shared = { v = 1 }
		sharedata.new("dag", { p = shared, q = shared })
		local d = sharedata.query "dag"
		T.eq(d.p.v + d.q.v, 2)
	end)

	T.case("delete: new queries fail, the tree is freed once unused", function()
		sharedata.flush()
		local trees = core.stat()
		sharedata.new("tmp", { big = string.rep("x", 100000) })
		local t = sharedata.query "tmp"
		T.eq(#t.big, 100000)
		T.eq(core.stat(), trees + 1)
		sharedata.delete "tmp"
		T.raises("call failed", sharedata.query, "tmp")
		T.eq(#t.big, 100000, "a proxy keeps its last data")
		t = nil
		collectgarbage()
		collectgarbage()
		T.eq(core.stat(), trees, "freed")
	end)

	T.case("an update frees the old tree once the readers moved", function()
		local c = sharedata.query "conf"
		local trees = core.stat()
		sharedata.update("conf", { a = 3 })
		T.eq(c.a, 3)
		T.eq(skynet.call(reader, "lua", "read", "conf", "a"), 3)
		T.eq(core.stat(), trees, "old tree released by every reader")
	end)

	T.case("a confirm of a tree not handed out is refused, nothing is freed", function()
		local c = sharedata.query "conf"
		local tree = core.tree(c)
		sharedata.new("before_bogus", {})	-- a round trip: readers' confirms are handled
		local refs = core.getref(tree)
		local svc = skynet.uniqueservice "sharedatad"
		for _ = 1, 3 do
			skynet.send(svc, "lua", "confirm", tree)
		end
		local bogus, sz = skynet.pack "not a tree"
		skynet.send(svc, "lua", "confirm", bogus)
		sharedata.new("after_bogus", { ok = true })	-- a round trip: the sends were handled
		skynet.trash(bogus, sz)
		T.eq(core.getref(tree), refs, "references unchanged")
		T.eq(sharedata.query("after_bogus").ok, true)
		T.eq(c.a, 3)
		T.eq(skynet.call(reader, "lua", "read", "conf", "a"), 3)
	end)

	T.case("debug_console shrtbl counts the native trees; cmem works", function()
		local C = require "svc_console_lib"
		local _, port = C.start_console()
		local cli = C.connect(port)
		cli:expect "\n"
		local out, status = cli:run "shrtbl"
		T.eq(status, "OK")
		local trees, bytes
		for _, line in ipairs(out) do
			trees = trees or tonumber(line:match "^trees\t(%d+)$")
			bytes = bytes or tonumber(line:match "^bytes\t(%d+)$")
		end
		T.eq(trees, core.stat())
		T.ok(bytes and bytes > 0, "bytes")
		_, status = cli:run "cmem"
		T.eq(status, "OK", "cmem")
	end)

	T.done()
end)
