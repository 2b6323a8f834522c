-- Generator of test/vectors/sproto_extra.jsonl. Run it on upstream skynet as
-- the start service (its luaservice path must reach this folder); OUTFILE
-- names the output (default /tmp/sproto_extra.jsonl).
local skynet = require "skynet"
local sproto = require "sproto"
local parser = require "sprotoparser"

local out = assert(io.open(OUTFILE or "/tmp/sproto_extra.jsonl", "w"))

local function hex(s)
	return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function jstr(s)
	return '"' .. s:gsub('[%c"\\]', function(c)
		return string.format("\\u%04x", c:byte())
	end) .. '"'
end

-- A Lua expression for a value, keys sorted, that LuaJIT reads back.
local function repr(v)
	local t = type(v)
	if t == "table" then
		local keys = {}
		for k in pairs(v) do keys[#keys + 1] = k end
		table.sort(keys, function(a, b)
			if type(a) == type(b) then return a < b end
			return type(a) < type(b)
		end)
		local parts = {}
		for _, k in ipairs(keys) do
			parts[#parts + 1] = "[" .. repr(k) .. "]=" .. repr(v[k])
		end
		return "{" .. table.concat(parts, ",") .. "}"
	elseif t == "string" then
		return '"' .. v:gsub('[%c\128-\255"\\]', function(c)
			return string.format("\\%03d", c:byte())
		end) .. '"'
	elseif t == "number" then
		if math.type(v) == "integer" then
			return string.format("%d", v)
		end
		return string.format("%.17g", v)
	end
	return tostring(v)
end

local function clean(err)
	return (tostring(err):gsub("^[^:]*%.lua:%d+: ", ""))
end

local function emit(fields)
	local parts = {}
	for _, kv in ipairs(fields) do
		local k, v = kv[1], kv[2]
		local s
		if type(v) == "string" then s = jstr(v)
		elseif type(v) == "boolean" then s = tostring(v)
		else s = tostring(v) end
		parts[#parts + 1] = jstr(k) .. ":" .. s
	end
	out:write("{", table.concat(parts, ","), "}\n")
end

local schemas = {}
schemas.game = [[
# skynet's client/server example, in short
.package {
	type 0 : integer
	session 1 : integer
}
handshake 1 {
	response {
		msg 0 : string
	}
}
get 2 {
	request {
		what 0 : string
	}
	response {
		result 0 : string
	}
}
set 3 {
	request {
		what 0 : string
		value 1 : string
	}
}
quit 4 {}
]]

schemas.features = ".Item { id 0 : integer  name 1 : string  price 2 : integer(2) }\r\n" .. [[
.Bag {
	items 0 : *Item(id)
	dict 1 : *Entry()
	prices 2 : *integer(3)
	ratios 3 : *double
	raw 4 : binary
	far 1000 : integer
	mid 5 : boolean
	.Entry { key 0 : string  value 1 : Item }
	inner 6 : Inner
	.Inner { deep 0 : Entry   up 1 : Item   # a comment
		self 2 : Inner }
	names 7 : *Named(label)
	flags 8 : *Flag()
	.Named { label 0 : string  n 1 : integer }
	.Flag { on 3 : boolean  id 1 : integer }
}
.Ints { a 0 : *integer  b 1 : *boolean  c 2 : *string  d 3 : *Bag  e 4 : double  f 5 : string }
.Empty {}
.package { type 0 : integer  session 1 : integer  ud 2 : binary }
foo 1 { request Bag  response { ok 0 : boolean } }
bar 20 { response nil }
baz 3 { request { x 0 : integer } }
nop 4 { request nil }
both 5 { request Item response nil }
]]

schemas.wide = [[
.Wide {
	a 0 : integer
	b 1 : integer
	c 2 : integer
	d 3 : integer
	e 4 : integer
	f 5 : integer
	g 6 : integer
	h 7 : integer
	i 8 : integer
	j 9 : integer
	k 10 : integer
	l 11 : integer
	m 12 : integer
	n 13 : integer
	o 14 : integer
	p 15 : integer
	q 16 : integer
	r 17 : integer
	s 18 : integer
	t 19 : integer
	u 20 : integer
	v 21 : integer
	w 22 : integer
	x 23 : integer
	y 24 : integer
	z 25 : integer
	aa 26 : string
	bb 27 : string
	cc 28 : string
	dd 29 : string
	last 30000 : string
}
]]

local bad_schemas = {
	".A { a 0 : integer  a 1 : integer }",
	".A { a 0 : integer  b 0 : integer }",
	".A { a 0 : Nope }",
	".A { a 0 : integer } .A { b 0 : integer }",
	"a 1 {} b 1 {}",
	"a 1 { request Nope }",
	"a 1 { response Nope }",
	"a 1 { request A  request A } .A {}",
	".A {\n  a 0 : integer\n  b 1 ; integer\n}",
	".A {\n\n  a 0 : integer\n",
	".M { a 0 : integer  b 1 : integer  c 2 : integer } .A { m 0 : *M() }",
	".M { a 0 : Sub  b 1 : integer .Sub {} } .A { m 0 : *M() }",
	".M { a 0 : integer } .A { m 0 : *M(zz) }",
	".A { .B {} .B {} }",
}

local sps = {}
local names = {}
for name in pairs(schemas) do names[#names + 1] = name end
table.sort(names)
for _, name in ipairs(names) do
	local text = schemas[name]
	local bin = parser.parse(text)
	emit { {"kind", "schema"}, {"name", name}, {"text", text}, {"bin_hex", hex(bin)} }
	sps[name] = sproto.new(bin)
end
for _, text in ipairs(bad_schemas) do
	local ok, err = pcall(parser.parse, text)
	assert(not ok, text)
	emit { {"kind", "schema_error"}, {"text", text}, {"error", clean(err)} }
end

-- encode records; exact = false when pairs order decides the bytes
local function encode(schema, typename, expr, exact)
	local value = assert(load("return " .. expr))()
	local sp = sps[schema]
	local ok, bin = pcall(sp.encode, sp, typename, value)
	if not ok then
		emit { {"kind", "encode_error"}, {"schema", schema}, {"type", typename}, {"lua", expr}, {"error", clean(bin)} }
		return
	end
	local back = sp:decode(typename, bin)
	emit { {"kind", "encode"}, {"schema", schema}, {"type", typename}, {"lua", expr}, {"exact", exact ~= false},
		{"encoded_hex", hex(bin)}, {"packed_hex", hex(sproto.pack(bin))}, {"decoded", repr(back)} }
end

encode("features", "Item", "{ id = 1, name = 'x', price = 12.34 }")
encode("features", "Item", "{ id = -5, price = -0.015 }")
encode("features", "Item", "{ id = 32766, price = 0.005 }")
encode("features", "Item", "{ id = 32767 }")
encode("features", "Item", "{ id = 2147483647 }")
encode("features", "Item", "{ id = -2147483648 }")
encode("features", "Item", "{ id = 2147483648 }")
encode("features", "Item", "{ id = -2147483649 }")
encode("features", "Item", "{ id = 9007199254740992 }")
encode("features", "Item", "{ id = -9007199254740992 }")
encode("features", "Item", "{ id = 3.0 }")
encode("features", "Item", "{ id = '42' }")
encode("features", "Item", "{ name = '' }")
encode("features", "Bag", "{ items = { [7] = { id = 7, name = 'seven' } } }")
encode("features", "Bag", "{ items = { [7] = { id = 7 }, [3] = { id = 3 }, [12] = { id = 12 } } }", false)
encode("features", "Bag", "{ dict = { k = { id = 1 } } }")
encode("features", "Bag", "{ dict = { a = { id = 1 }, b = { id = 2, name = 'b' } } }", false)
encode("features", "Bag", "{ prices = { 1.5, -2.25, 0, 1000000.001 } }")
encode("features", "Bag", "{ ratios = { 0.5, -1e300, 3 } }")
encode("features", "Bag", "{ raw = '\\0\\1\\255', far = 1, mid = true }")
encode("features", "Bag", "{ far = 70000, mid = false }")
encode("features", "Bag", "{ inner = { deep = { key = 'k', value = { id = 9 } }, up = { id = 1 }, self = { self = { up = { id = 2 } } } } }")
encode("features", "Bag", "{ names = { one = { label = 'one', n = 1 } }, flags = { [5] = true } }")
encode("features", "Bag", "{ items = {}, dict = {}, prices = {}, ratios = {}, names = {}, flags = {} }")
encode("features", "Ints", "{ a = { 1, 2, 3 }, b = { true, false }, c = { 'x', '', 'zz' }, e = 0.1, f = 'f' }")
encode("features", "Ints", "{ a = { 1, -1, 2147483648, -2147483649, 0 } }")
encode("features", "Ints", "{ a = { 0x7fffffff, -0x80000000 } }")
encode("features", "Ints", "{ a = { 1, 2, nil, 4 } }")
encode("features", "Ints", "{ d = { { mid = true }, {}, { far = 5 } } }")
encode("features", "Ints", "{ e = 1/0 }")
encode("features", "Empty", "{}")
encode("features", "Empty", "{ x = 1 }")
encode("wide", "Wide", "{ a = 1, z = 2, dd = 'd', last = 'end' }")
encode("wide", "Wide", "{ a = 0, b = 1, c = 2, d = 3, e = 4, f = 5, g = 6, h = 7, i = 8, j = 9, k = 10, l = 11, m = 12, n = 13, o = 14, p = 15, q = 16, r = 17, s = 18, t = 19, u = 20, v = 21, w = 22, x = 23, y = 24, z = 25, aa = 'a', bb = 'b', cc = 'c', dd = 'd', last = 'l' }")
encode("wide", "Wide", "{ last = string.rep('x', 3000) }")
-- errors
encode("features", "Item", "{ id = 'x' }")
encode("features", "Item", "{ id = 1.5 }")
encode("features", "Item", "{ id = true }")
encode("features", "Item", "{ name = 5 }")
encode("features", "Bag", "{ mid = 1 }")
encode("features", "Bag", "{ items = 5 }")
encode("features", "Bag", "{ prices = 'x' }")
encode("features", "Ints", "{ a = { 1, 'x' } }")
encode("features", "Ints", "{ b = { true, 0 } }")
encode("features", "Ints", "{ c = { 'a', 1 } }")
encode("features", "Bag", "{ dict = { k = { id = 'z' } } }")

-- decode of hand-made inputs
local function decode(schema, typename, input)
	local sp = sps[schema]
	local ok, v, n = pcall(sp.decode, sp, typename, input)
	if ok then
		emit { {"kind", "decode"}, {"schema", schema}, {"type", typename}, {"input_hex", hex(input)}, {"decoded", repr(v)}, {"size", n} }
	else
		emit { {"kind", "decode"}, {"schema", schema}, {"type", typename}, {"input_hex", hex(input)}, {"error", clean(v)} }
	end
end

local item = sps.features:encode("Item", { id = 1, name = "x" })
decode("features", "Item", item)
decode("features", "Item", item .. "trailing")
decode("features", "Item", item:sub(1, -2))
decode("features", "Item", "")
decode("features", "Item", "\1")
decode("features", "Item", "\1\0")
decode("features", "Item", "\2\0\0\0")
decode("features", "Item", "\1\0\0\0\3\0\0\0abc")	-- 3-byte integer
decode("features", "Item", "\1\0\0\0\8\0\0\0\1\2\3\4\5\6\7\8")
decode("features", "Item", "\1\0\0\0\4\0\0\0\255\255\255\255")
decode("features", "Item", "\3\0\5\0\4\0\6\0")		-- skip 2 tags, then tag 2 (price) = 1 inline
decode("features", "Item", "\2\0\2\0\2\0")			-- id 0, name inline: error
decode("features", "Item", "\1\0\1\0")				-- a lone skip
decode("features", "Item", "\2\0\7\0\2\0")		-- skip to tag 4 (unknown) inline
decode("features", "Item", "\2\0\7\0\0\0\2\0\0\0zz")	-- unknown tag with data
decode("features", "Bag", "\1\0\0\0\1\0\0\0\4")		-- items: 1 byte, not a part
decode("features", "Ints", "\1\0\0\0\1\0\0\0\4")		-- a: width byte only
decode("features", "Ints", "\1\0\0\0\5\0\0\0\3\1\0\0\0")	-- a: width 3
decode("features", "Ints", "\1\0\0\0\6\0\0\0\4\1\0\0\0\0")	-- a: 5 bytes of width 4
decode("features", "Ints", "\1\0\0\0\9\0\0\0\8\1\0\0\0\0\0\0\128")
decode("features", "Ints", "\2\0\1\0\0\0\3\0\0\0\0\1\2")	-- b: booleans 0 1 2
decode("features", "Ints", "\2\0\1\0\2\0")			-- b inline: error
decode("features", "Ints", "\5\0\7\0\0\0\4\0\0\0\0\0\0\0")	-- e: 4-byte double
decode("features", "Bag", "\1\0\0\0\9\0\0\0\5\0\0\0\1\0\2\0")	-- items: element without id
decode("features", "Bag", sps.features:encode("Bag", { dict = { k = { id = 1 } } }):gsub("k", "", 1))
decode("features", "Bag", "\1\0\0\0\12\0\0\0\8\0\0\0\1\0\0\0\2\0\0\0")	-- items: struct element header short

-- defaults
for _, t in ipairs { "Item", "Bag", "Ints", "Empty", "Bag.Inner" } do
	emit { {"kind", "default"}, {"schema", "features"}, {"type", t}, {"lua", repr(sps.features:default(t))} }
end
emit { {"kind", "default"}, {"schema", "features"}, {"type", "foo"}, {"which", "REQUEST"}, {"lua", repr(sps.features:default("foo", "REQUEST"))} }
emit { {"kind", "default"}, {"schema", "features"}, {"type", "foo"}, {"which", "RESPONSE"}, {"lua", repr(sps.features:default("foo", "RESPONSE"))} }

-- protocol queries and host packets
local function proto(schema, name)
	local sp = sps[schema]
	local p = sp:queryproto(name)
	emit { {"kind", "proto"}, {"schema", schema}, {"name", name}, {"tag", p.tag},
		{"request", p.request ~= nil}, {"response", p.response ~= nil},
		{"confirm", p.response ~= nil and sproto.core == nil} }
end

local function request(schema, name, expr, session, ud)
	local sp = sps[schema]
	local args = assert(load("return " .. expr))()
	local host = sp:host "package"
	local req = host:attach(sp)
	local packet = req(name, args, session, ud)
	local fields = { {"kind", "request"}, {"schema", schema}, {"proto", name}, {"lua", expr}, {"packed_hex", hex(packet)} }
	if session then fields[#fields + 1] = {"session", session} end
	if ud then fields[#fields + 1] = {"ud", ud} end
	-- the server's answer through the response function
	local server = sp:host "package"
	local what, pname, got, respond = server:dispatch(packet)
	if respond then
		local reply_expr = RESPONSES[name] or "nil"
		local reply = respond(assert(load("return " .. reply_expr))())
		fields[#fields + 1] = {"reply_lua", reply_expr}
		fields[#fields + 1] = {"reply_hex", hex(reply)}
		local _, s, result = host:dispatch(reply)
		fields[#fields + 1] = {"reply_decoded", repr(result)}
	end
	emit(fields)
end

RESPONSES = { handshake = "{ msg = 'welcome' }", get = "{ result = 'value' }", foo = "{ ok = true }", bar = "nil", both = "nil" }
request("game", "handshake", "nil", 1)
request("game", "get", "{ what = 'hello' }", 2)
request("game", "set", "{ what = 'hello', value = 'world' }")
request("game", "set", "{ what = 'a', value = 'b' }", 3)
request("game", "quit", "nil")
request("features", "foo", "{ far = 3, items = { [1] = { id = 1 } } }", 70000, "\0ud")
request("features", "bar", "nil", 5)
request("features", "baz", "{ x = -1 }", 6)
request("features", "both", "{ id = 2 }", 7, "u")
request("features", "nop", "nil", nil, "only ud")

-- 0-pack of longer inputs
local function pack(raw)
	emit { {"kind", "pack"}, {"raw_hex", hex(raw)}, {"packed_hex", hex(sproto.pack(raw))} }
end
pack(string.rep("\1", 2048))
pack(string.rep("\1", 2049))
pack(string.rep("\1", 2056) .. "\0")
pack(string.rep("\1\2\3\4\5\6\0\0", 3))
pack(string.rep("\1", 8) .. string.rep("\1\2\3\4\5\6\0\0", 2) .. string.rep("\1\2\3\4\5\0\0\0", 2))
pack(string.rep("\1", 8) .. "\1\2\3\4\5\6\7\0" .. "\0\0\0\0\0\0\0\0" .. string.rep("\1", 7))
pack(string.rep("\1", 15))
pack(string.rep("\0", 17) .. "\1")

local function unpack_err(s)
	local ok, v = pcall(sproto.unpack, s)
	if ok then
		emit { {"kind", "unpack"}, {"packed_hex", hex(s)}, {"raw_hex", hex(v)} }
	else
		emit { {"kind", "unpack"}, {"packed_hex", hex(s)}, {"error", clean(v)} }
	end
end
unpack_err("\255")
unpack_err("\255\0\1\2")
unpack_err("\3\1")
unpack_err("\1\1\0")
unpack_err("\255\0\1\2\3\4\5\6\7\8")

out:close()
skynet.error("sproto_extra done")
skynet.start(function() skynet.exit() end)
