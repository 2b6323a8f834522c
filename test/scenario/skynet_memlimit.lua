-- skynet.memlimit: a service over its limit gets a Lua memory error it can
-- catch; the node and the service carry on.
local skynet = require "skynet.manager"
local T = require "testlib"
local L = require "svc_skynetlib"

skynet.start(function()
	local limited = skynet.newservice("svc_skynet_memlimit", 2 * 1024 * 1024)

	T.case("the limit is logged when the service starts", function()
		T.ok(L.log_find "Set memory limit to 2.00 M", "logged")
	end)

	T.case("memlimit can be set once only", function()
		local st = skynet.call(limited, "lua", "state")
		T.eq(st.again, false, "second call fails: the function is gone")
		T.eq(st.memlimit, nil, "skynet.memlimit removed")
	end)

	T.case("allocating below the limit works", function()
		local ok, n = skynet.call(limited, "lua", "alloc", 512)
		T.eq(ok, true)
		T.eq(n, "512")
	end)

	T.case("allocating past the limit raises a memory error caught by pcall", function()
		local ok, err = skynet.call(limited, "lua", "alloc", 8 * 1024)
		T.eq(ok, false)
		T.ok(err:find("not enough memory", 1, true), err)
	end)

	T.case("the service still answers and its heap is back below the limit", function()
		T.eq(skynet.call(limited, "lua", "echo", "alive"), "alive")
		local st = skynet.call(limited, "lua", "state")
		T.ok(st.kb < 2048, "heap " .. st.kb .. " KB")
		local ok = skynet.call(limited, "lua", "alloc", 256)
		T.eq(ok, true, "can allocate again")
	end)

	T.case("an unlimited service logs a warning when it passes 32 MiB", function()
		local big = skynet.newservice("svc_skynet_memlimit", 0)
		local ok = skynet.call(big, "lua", "alloc", 40 * 1024)
		T.eq(ok, true)
		T.ok(L.log_match("%[" .. L.escape(skynet.address(big)) .. "%] Memory warning 3%d%.%d%d M"), "warning")
	end)

	T.done()
end)
