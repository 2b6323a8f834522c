-- A node that makes `hold_count` calls to alpha's hold() and then waits, so
-- that the test script can kill it while alpha still owes the answers.
local skynet = require "skynet"
local cluster = require "skynet.cluster"
local T = require "ctest"

skynet.start(function()
	local n = tonumber(skynet.getenv "hold_count")
	for _ = 1, n do
		skynet.fork(pcall, cluster.call, "alpha", "@echo", "hold")
	end
	T.out("SENT " .. n)
end)
