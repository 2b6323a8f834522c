-- skynet.datasheet: builder new/update/compile, query from two services,
-- automatic update, and the dump blobs.
local skynet = require "skynet"
local builder = require "skynet.datasheet.builder"
local datasheet = require "skynet.datasheet"
local dump = require "skynet.datasheet.dump"
local T = require "testlib"

skynet.start(function()
	local reader = skynet.newservice "svc_sheet_reader"

	T.case("new and query: fields, nesting, #", function()
		builder.new("foobar", { a = 1, b = 2, c = { 3 }, deep = { x = { y = "z" } } })
		local t = datasheet.query "foobar"
		T.eq(t.a, 1)
		T.eq(t.c[1], 3)
		T.eq(#t.c, 1)
		T.eq(t.deep.x.y, "z")
		T.eq(datasheet.query "foobar", t, "one object per name")
		T.eq(skynet.call(reader, "lua", "foobar", "deep", "x", "y"), "z")
	end)

	T.case("update reaches every reader without asking", function()
		local t = datasheet.query "foobar"
		local c = t.c
		builder.update("foobar", { b = 4, c = { 5 } })
		T.eq(t.b, 4)
		T.eq(t.a, nil, "keys not in the new version are gone")
		T.eq(c[1], 5, "a held subtable follows")
		T.eq(skynet.call(reader, "lua", "foobar", "c", 1), 5)
	end)

	T.case("compile gives a blob that new accepts; dump/undump round trip", function()
		local blob = builder.compile { list = { 1, 2, 3 }, name = "compiled", flag = true, r = 0.5 }
		T.eq(type(blob), "string")
		builder.new("compiled", blob)
		local t = datasheet.query "compiled"
		T.eq(t.name, "compiled")
		T.eq(#t.list, 3)
		T.eq(t.flag, true)
		local back = dump.undump(dump.dump { k = { "v" } })
		T.eq(back.k[1], "v")
		T.eq(dump.diff(blob, blob), blob)
	end)

	T.case("errors: unknown sheet, duplicate new, corrupt blob", function()
		T.raises("call failed", datasheet.query, "nothere")
		T.raises("foobar", builder.new, "foobar", {})
		T.raises("Invalid datasheet blob", builder.new, "corrupt", "SKDS\1garbage")
		T.raises("Invalid datasheet blob", dump.undump, "nope")
		T.eq(datasheet.query("foobar").b, 4, "still serving")
	end)

	T.case("a release of a handle not handed out is refused", function()
		local service = require "skynet.service"
		local core = require "skynet.sharedata.core"
		local t = datasheet.query "foobar"
		local tree = core.tree(t)
		builder.new("roundtrip1", {})	-- readers' releases are handled
		local refs = core.getref(tree)
		local svc = service.query "datasheet"
		skynet.send(svc, "lua", "release", tree)
		skynet.send(svc, "lua", "release", tree)
		builder.new("roundtrip2", {})
		T.eq(core.getref(tree), refs, "references unchanged")
		T.eq(t.b, 4)
	end)

	T.done()
end)
