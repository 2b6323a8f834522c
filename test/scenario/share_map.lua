-- skynet.sharemap: a writer commits sproto-typed records, a reader in another
-- service sees each committed version after update(), never a half-written one.
local skynet = require "skynet"
local sharemap = require "skynet.sharemap"
local T = require "testlib"

local schema = skynet.getenv "scenario_tmp" .. "/share_map.sp"

skynet.start(function()
	local f = assert(io.open(schema, "w"))
	f:write(".point {\n\tx 0 : integer\n\ty 1 : integer\n\ttag 2 : string\n}\n")
	f:close()
	sharemap.register(schema)

	local writer = sharemap.writer("point", { x = 1, y = 2, tag = "first" })
	local reader = skynet.newservice "svc_share_map_reader"
	skynet.call(reader, "lua", "init", "point", writer:copy())

	T.case("the reader starts from the committed version", function()
		local r = skynet.call(reader, "lua", "read", false)
		T.eq(r.x, 1); T.eq(r.y, 2); T.eq(r.tag, "first")
	end)

	T.case("writes are invisible until commit, then seen after update", function()
		writer.x = 10
		writer.tag = "second"
		T.eq(writer.x, 10, "the writer reads its own field")
		local r = skynet.call(reader, "lua", "read", true)
		T.eq(r.updated, false, "nothing committed yet")
		T.eq(r.x, 1)
		writer:commit()
		r = skynet.call(reader, "lua", "read", true)
		T.eq(r.updated, true)
		T.eq(r.x, 10); T.eq(r.y, 2); T.eq(r.tag, "second")
	end)

	T.case("a field cleared by the writer reads nil after update", function()
		writer.tag = nil
		writer:commit()
		local r = skynet.call(reader, "lua", "read", true)
		T.eq(r.tag, nil)
		T.eq(r.x, 10)
	end)

	T.case("a reader is read-only", function()
		local ok, err = skynet.call(reader, "lua", "write")
		T.eq(ok, false)
		T.ok(tostring(err):find("read%-only"), err)
	end)

	T.done()
end)
