-- harbor_call, callee side (harbor 1, the master): an echo service with the
-- global name BENCHECHO. Prints BENCH_READY once registered.
local skynet = require "skynet"
require "skynet.manager"

skynet.start(function()
	local echo = skynet.newservice "bench_counter"
	skynet.name("BENCHECHO", echo)
	io.stdout:write("BENCH_READY\n")
	io.stdout:flush()
end)
