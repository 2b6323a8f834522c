-- The bson module inside a service: upstream's test/testbson.lua, its
-- assertions checked instead of printed, plus the values it only prints.
local skynet = require "skynet"
local bson = require "bson"
local T = require "testlib"

local function tbl_pairs(obj)
	return next, obj.__data, nil
end

local function meta_object(data)
	local obj = { __data = data }
	return setmetatable(obj, { __index = data, __pairs = tbl_pairs })
end

skynet.start(function()
	local sub = bson.encode_order("hello", 1, "world", 2)

	T.case("decode of encode_order", function()
		local d = bson.decode(sub)
		T.eq(d.hello, 1, "hello")
		T.eq(d.world, 2, "world")
	end)

	local obj_a = meta_object { ["1"] = 2, ["3"] = 4, ["5"] = 6 }
	local obj_b = meta_object { ["7"] = 8, ["9"] = 10, ["11"] = obj_a }
	local metaarray = setmetatable({ n = 5 }, {
		__len = function(self) return self.n end,
		__index = function(self, idx) return tostring(idx) end,
	})
	local now = os.time()
	local b = bson.encode {
		a = 1,
		b = true,
		c = bson.null,
		d = { 1, 2, 3, 4 },
		e = bson.binary "hello",
		f = bson.regex("*", "i"),
		g = bson.regex "hello",
		h = bson.date(now),
		i = bson.timestamp(now),
		j = bson.objectid(),
		k = { a = false, b = true },
		l = {},
		m = bson.minkey,
		n = bson.maxkey,
		o = sub,
		p = 2 ^ 32 - 1,
		q = obj_b,
		r = metaarray,
	}

	T.case("testbson document decodes with every kind", function()
		local t = b:decode()
		local kinds = {
			a = "number", b = "boolean", c = "nil", d = "table", e = "binary", f = "regex",
			g = "regex", h = "date", i = "timestamp", j = "objectid", k = "table", l = "table",
			m = "minkey", n = "maxkey", o = "table", p = "number", q = "table", r = "table",
		}
		for k, want in pairs(kinds) do
			T.eq(bson.type(t[k]), want, "bson.type of " .. k)
		end
		T.eq(t.p, 2 ^ 32 - 1, "p")
		T.eq(t.q["11"]["5"], 6, "__pairs object inside __pairs object")
		T.eq(#t.r, 5, "__len array length")
		for i = 1, 5 do
			T.eq(t.r[i], tostring(i), "metaarray element " .. i)
		end
		local _, secs = bson.type(t.h)
		T.eq(secs, now, "date seconds")
		local _, pattern, options = bson.type(t.f)
		T.eq(pattern .. "/" .. options, "*/i", "regex")
		local _, data = bson.type(t.e)
		T.eq(data, "hello", "binary")
	end)

	T.case("makeindex then replace, as testbson does", function()
		b:makeindex()
		b.a = 2
		b.b = false
		b.h = bson.date(now + 1)
		b.i = bson.timestamp(now + 1)
		local oid = bson.objectid()
		b.j = oid
		local t = b:decode()
		T.eq(t.a, 2, "a")
		T.eq(t.b, false, "b")
		T.eq(t.h, bson.date(now + 1), "h")
		T.eq(t.j, oid, "j")
		T.eq(bson.type(t.o.hello), "number", "o.hello")
	end)

	T.case("documents cross services as strings", function()
		local echo = skynet.newservice("svc_db_bson_echo")
		local back = skynet.call(echo, "lua", "roundtrip", tostring(sub))
		T.eq(back, tostring(sub), "bytes")
	end)

	T.done()
end)
