-- skynet.mqueue (deprecated): requests handled one at a time, in order.
local skynet = require "skynet"
local mqueue = require "skynet.mqueue"
local T = require "testlib"

skynet.start(function()
	local svc = skynet.newservice "svc_boot_mqueue"

	T.case("call returns the handler's results", function()
		T.eq(mqueue.call(svc, "add", 1, 2), 3)
	end)

	T.case("a handler error is raised in the caller", function()
		T.raises("mqueue handler failed", mqueue.call, svc, "fail")
	end)

	T.case("sends are handled in order, even when the handler blocks", function()
		for i = 1, 5 do
			mqueue.send(svc, "log", i)
		end
		T.eq(mqueue.call(svc, "logged"), "1,2,3,4,5")
	end)

	T.done()
end)
