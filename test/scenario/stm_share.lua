-- skynet.stm between two services: a reader sees each published value once.
local skynet = require "skynet"
local stm = require "skynet.stm"
local T = require "testlib"

skynet.start(function()
	local reader = skynet.newservice "svc_stm_reader"
	local obj = stm.new(skynet.pack(1, "two", { 3 }))

	T.case("a reader gets the first value, then false until a new one", function()
		skynet.call(reader, "lua", "attach", stm.copy(obj))
		local changed, a, b, c = skynet.call(reader, "lua", "read")
		T.eq(changed, true)
		T.eq(a, 1)
		T.eq(b, "two")
		T.eq(c[1], 3)
		T.eq(skynet.call(reader, "lua", "read"), false)
	end)

	T.case("writer(msg, sz) and writer(string) publish", function()
		obj(skynet.pack("hello", 2))
		local changed, s, n = skynet.call(reader, "lua", "read")
		T.eq(changed, true)
		T.eq(s, "hello")
		T.eq(n, 2)
		obj(skynet.packstring("str"))
		local _, s2 = skynet.call(reader, "lua", "read")
		T.eq(s2, "str")
		T.eq(skynet.call(reader, "lua", "read"), false)
	end)

	T.done()
end)
