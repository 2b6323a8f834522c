-- skynet.pack/unpack/packstring/tostring/trash, locally and across services.
local skynet = require "skynet"	-- abort (T.done) loads skynet.manager on demand
local T = require "testlib"

local function hex(s)
	return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function deep_eq(a, b, path)
	path = path or "value"
	if type(a) ~= type(b) then
		error(string.format("%s: type %s ~= %s", path, type(a), type(b)), 0)
	end
	if type(a) ~= "table" then
		if a ~= b then
			error(string.format("%s: %s ~= %s", path, tostring(a), tostring(b)), 0)
		end
		return
	end
	for k, v in pairs(a) do
		deep_eq(v, b[k], path .. "." .. tostring(k))
	end
	for k in pairs(b) do
		if a[k] == nil then
			error(path .. "." .. tostring(k) .. " unexpected", 0)
		end
	end
end

local sample = {
	1, 2, 3, "four", { 5 }, true,
	name = "x",
	neg = -7,
	big = 2 ^ 40,
	min32 = -0x80000000,
	float = 3.25,
	nested = { a = { b = { c = "deep" } } },
	[10] = "sparse",
	[2.5] = "float key",
	[true] = "bool key",
	long = string.rep("L", 70000),
	empty = {},
}

skynet.start(function()
	local callee = skynet.newservice "svc_skynet_callee"

	T.case("byte layout matches the reference vector", function()
		local s = skynet.packstring(1, -1, 256, 65536, 0x7fffffff, 0x80000000, -0x80000000,
			-0x80000001, 1.5, "ab", { 1, 2, a = 3 }, true, false, nil)
		T.eq(hex(s), "0a0122ffffffff1200012200000100" .. "22ffffff7f3200000080000000002200000080"
			.. "32ffffff7fffffffff42000000000000f83f146162160a010a020c610a0300090100")
	end)

	T.case("pack/unpack round trip keeps count, nils, types and nesting", function()
		local msg, sz = skynet.pack(nil, false, 0, -1.5, "s", sample, nil)
		T.eq(type(msg), "userdata")
		T.eq(type(sz), "number")
		local r = table.pack(skynet.unpack(msg, sz))
		skynet.trash(msg, sz)
		T.eq(r.n, 7, "count")
		T.eq(r[1], nil)
		T.eq(r[2], false)
		T.eq(r[3], 0)
		T.eq(r[4], -1.5)
		T.eq(r[5], "s")
		deep_eq(r[6], sample)
		T.eq(r[7], nil)
	end)

	T.case("packstring and tostring give the same bytes; unpack takes a string", function()
		local s = skynet.packstring("a", 1, { x = 2 })
		local msg, sz = skynet.pack("a", 1, { x = 2 })
		T.eq(skynet.tostring(msg, sz), s)
		skynet.trash(msg, sz)
		local a, b, c = skynet.unpack(s)
		T.eq(a, "a")
		T.eq(b, 1)
		T.eq(c.x, 2)
		T.eq(select("#", skynet.unpack(nil)), 0, "unpack(nil)")
		T.eq(skynet.tostring(nil), nil, "tostring(nil)")
	end)

	T.case("integers and floats survive exactly", function()
		local values = { 0, 1, 255, 256, 65535, 65536, 2 ^ 31 - 1, 2 ^ 31, -2 ^ 31, -2 ^ 31 - 1,
			2 ^ 53, -2 ^ 53, 0.1, -0.5, 1e300, math.huge, -math.huge }
		local r = table.pack(skynet.unpack(skynet.packstring(table.unpack(values))))
		for i, v in ipairs(values) do
			T.eq(r[i], v, "value " .. i)
		end
		local nan = skynet.unpack(skynet.packstring(0 / 0))
		T.ok(nan ~= nan, "nan")
	end)

	T.case("tables go through a call unchanged", function()
		local got = skynet.call(callee, "lua", "echo", sample)
		deep_eq(got, sample)
	end)

	T.case("__pairs decides what a table packs", function()
		local proxy = setmetatable({}, { __pairs = function()
			return next, { a = 1, b = 2 }, nil
		end })
		local t = skynet.unpack(skynet.packstring(proxy))
		T.eq(t.a, 1)
		T.eq(t.b, 2)
	end)

	T.case("unsupported values and too deep tables are refused", function()
		T.raises("Unsupport type function to serialize", skynet.pack, print)
		T.raises("Unsupport type thread to serialize", skynet.pack, coroutine.create(print))
		local ok_depth = {}
		local t = ok_depth
		for _ = 1, 30 do
			t.x = {}
			t = t.x
		end
		T.ok(skynet.packstring(ok_depth), "30 levels")
		local deep = {}
		t = deep
		for _ = 1, 40 do
			t.x = {}
			t = t.x
		end
		T.raises("serialize can't pack too depth table", skynet.pack, deep)
	end)

	T.case("a pointer packs as lightuserdata", function()
		local msg, sz = skynet.pack("p")
		local back = skynet.unpack(skynet.packstring(msg))
		T.eq(back, msg)
		skynet.trash(msg, sz)
	end)

	T.done()
end)
