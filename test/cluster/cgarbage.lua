-- Client node of garbage.sh: its connection to alpha must keep working while
-- other connections to alpha send garbage.
local skynet = require "skynet"
local cluster = require "skynet.cluster"
local T = require "ctest"

local function call(...)
	return cluster.call("alpha", "@echo", ...)
end

skynet.start(function()
	skynet.fork(function()
		T.case("calls before the garbage", function()
			T.eq(call("whoami"), "alpha", "call")
		end)
		T.step("garbage", 9000)	-- the raw clients may take a while
		T.case("calls on the same connection after the garbage", function()
			T.eq(call("whoami"), "alpha", "call")
			local s = T.blob(200000, 6)
			T.ok(call("mirror", s) == s:reverse(), "large call")
			local res, finished = T.parallel(100, function(i)
				return call("square", i)
			end, 1000)
			T.eq(finished, 100, "concurrent calls finished")
			for i = 1, 100 do
				T.eq(res[i][3], i * i, "result " .. i)
			end
		end)
		T.done()
	end)
end)
