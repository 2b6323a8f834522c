-- Lua 5.4 syntax on LuaJIT: this scenario is itself written in 5.4 syntax
-- (operators, <const>, <close>), and checks a required module, a newservice'd
-- service, load()ed strings and the error positions they report.
local skynet = require "skynet"
local T = require "testlib"

local BIG <const> = 1 << 40
local main_line = debug.getinfo(1, "l").currentline -- line 8

skynet.start(function()
	T.case("the service file itself: operators, <const>, lines kept", function()
		T.eq(BIG, 1099511627776)
		T.eq(main_line, 8, "currentline")
		T.eq(0xFFFFFFFF & 0xFF00, 65280)
		T.eq(-1 >> 60, 15)
		T.eq(1 << 64, 0)
		T.eq(1 << -1, 0)
		T.eq(3 | 4 ~ 1 & 7, 7)
		T.eq(7 // 2, 3)
		T.eq(-7 // 2, -4)
		T.eq(~0, -1)
		T.eq(0xFFFFFFFFFFFFFFFF, -1)
		T.eq(math.maxinteger & 0xFF, 255)
		T.eq(math.mininteger >> 63, 1)
		T.eq(math.type(1 << 40), "integer")
		T.eq(math.ult(1, -1), true)
		T.eq(string.format("%d", 0xFF << 8), "65280")
	end)

	T.case("a required 5.4 module: CRC32, packed ids, // pages", function()
		local M = require "svc_lua54_mod"
		T.eq(M.crc32("The quick brown fox jumps over the lazy dog"), 0x414FA339)
		T.eq(M.crc32(""), 0)
		local id = M.pack_id(513, 7, 0xDEADBEEF)
		T.eq(id, 564083265748719)
		local server, kind, serial = M.unpack_id(id)
		T.eq(server, 513)
		T.eq(kind, 7)
		T.eq(serial, 0xDEADBEEF)
		local list = {}
		for i = 1, 23 do
			list[i] = i * 10
		end
		local page, pages = M.page(list, 3, 10)
		T.eq(pages, 3)
		T.eq(#page, 3)
		T.eq(page[1], 210)
		local ok, err = pcall(M.fail_here)
		T.eq(ok, false)
		T.ok(err:find("svc_lua54_mod.lua:44: attempt to perform bitwise operation on a nil value", 1, true), err)
	end)

	T.case("a newservice'd 5.4 service", function()
		local s = skynet.newservice "svc_lua54_child"
		local r = { skynet.call(s, "lua", "ops", 0xF0F0, 0x0FF0) }
		T.eq(r[1], 0x00F0)
		T.eq(r[2], 0xFFF0)
		T.eq(r[3], 0xFF00)
		T.eq(r[4], -0xF0F1)
		T.eq(r[5], 0xF0F00)
		T.eq(r[6], 0xF0F)
		T.eq(r[7], 15)
		T.eq(r[8], 41)
		local ok, err = skynet.call(s, "lua", "where", 3)
		T.eq(ok, false)
		T.ok(err:find("svc_lua54_child.lua:19: number has no integer representation", 1, true), err)
		skynet.kill(s)
	end)

	T.case("load and loadstring of 5.4 strings, with an env, and a reader", function()
		local f = assert(load("local a, b = ...\nreturn a << b, a // b", "=chunk"))
		local x, y = f(3, 2)
		T.eq(x, 12)
		T.eq(y, 1)
		local g = assert(loadstring("return v & 0xF", "=env", "t", { v = 0x1234 }))
		T.eq(g(), 4)
		g = assert(load("return v & 0xF", "=env", "t", { v = 0x1234 }))
		T.eq(g(), 4)
		local parts, i = { "return 1 <", "< 10" }, 0
		local r = assert(load(function()
			i = i + 1
			return parts[i]
		end))
		T.eq(r(), 1024)
		local bad, err = load("local a = 1\nreturn a &", "=bad")
		T.eq(bad, nil)
		T.eq(err, "bad:2: unexpected symbol near <eof>")
		bad, err = load("local k <const> = 1\n\nk = 2", "=const")
		T.eq(bad, nil)
		T.eq(err, "const:3: attempt to assign to const variable 'k'")
		local rt = assert(load("\n\nreturn {} | 1", "=rt"))
		local ok, e = pcall(rt)
		T.eq(ok, false)
		T.eq(e, "rt:3: attempt to perform bitwise operation on a table value")
		T.eq(load("return 1 ~= 2")(), true, "~= is not-equal")
		T.eq(load("return '//' .. [[&|]] -- ~ << >>")(), "//&|", "strings and comments untouched")
	end)

	T.case("inject (debug RUN) and injectcode take 5.4 source", function()
		local s = skynet.newservice "svc_lua54_child"
		local ok, out = skynet.call(s, "debug", "RUN", "print(1 << 4, 7 // 2)\nprint(nil | 1)", "(inject)")
		T.eq(ok, false)
		T.eq(out, "16\t3\n(inject):2: attempt to perform bitwise operation on a nil value")
		ok, out = skynet.call(s, "debug", "RUN", "local k <const> = 1\nk = 2", "(inject)")
		T.eq(ok, false)
		T.eq(out, "(inject):2: attempt to assign to const variable 'k'")
		skynet.kill(s)
		local injectcode = require "skynet.injectcode"
		local mask = 0xF0
		local r
		ok, r = injectcode("return mask >> 4 | 0x100")
		T.eq(ok, true)
		T.eq(r, 0x10F)
	end)

	T.case("<close> runs __close in reverse order, on error too", function()
		local log = {}
		local function closer(name)
			return setmetatable({}, { __close = function(_, err)
				log[#log + 1] = name .. ":" .. tostring(err)
			end })
		end
		do
			local a <close> = closer "a"
			local b <close> = closer "b"
		end
		T.eq(table.concat(log, " "), "b:nil a:nil")
		log = {}
		local ok, err = pcall(function()
			local c <close> = closer "c"
			error("boom", 0)
		end)
		T.eq(ok, false)
		T.eq(err, "boom")
		T.eq(table.concat(log, " "), "c:boom")
		ok, err = pcall(function()
			local bad <close> = {}
		end)
		T.ok(not ok and err:find("variable 'bad' got a non-closable value", 1, true), err)
	end)

	T.case("a 5.4 syntax error: the service fails with the loader's error", function()
		local ok, err = pcall(skynet.newservice, "svc_lua54_bad")
		T.eq(ok, false)
		ok, err = pcall(skynet.newservice, "svc_lua54_const")
		T.eq(ok, false)
		-- the node keeps running: another service still starts
		local s = skynet.newservice "svc_lua54_child"
		T.eq(skynet.call(s, "lua", "ops", 1, 1), 1)
		skynet.kill(s)
	end)

	T.done()
end)
