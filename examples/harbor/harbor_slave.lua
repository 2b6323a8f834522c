-- The slave's start service: calls COUNTER (on harbor 1) by its global name,
-- then listens to five NEWS ticks, then waits until the master is gone.
local skynet = require "skynet"
local harbor = require "skynet.harbor"
local multicast = require "skynet.multicast"
local datacenter = require "skynet.datacenter"

skynet.start(function()
	local counter = harbor.queryname "COUNTER"
	skynet.error("COUNTER is " .. skynet.address(counter))
	for _ = 1, 3 do
		local n, where = skynet.call("COUNTER", "lua", "incr")
		skynet.error(string.format("COUNTER says %d (from harbor %d)", n, where))
	end

	local got = 0
	local done = coroutine.running()
	local news
	news = multicast.new {
		channel = datacenter.wait "NEWS",
		dispatch = function(channel, source, what, n)
			skynet.error(string.format("%s from %s: %s %d", tostring(channel),
				skynet.address(source), what, n))
			got = got + 1
			if got == 5 then
				news:unsubscribe()
				skynet.wakeup(done)
			end
		end,
	}
	news:subscribe()
	skynet.wait(done)
	skynet.error "five ticks heard; unsubscribed"

	skynet.fork(function()
		harbor.linkmaster()
		skynet.error "the master is gone"
	end)
end)
