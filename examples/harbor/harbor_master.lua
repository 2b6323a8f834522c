-- The master's start service: a global COUNTER service and a multicast
-- channel, NEWS, whose id is shared through the datacenter. It publishes a
-- tick every second and says when harbor 2 comes and goes.
local skynet = require "skynet"
local harbor = require "skynet.harbor"
local multicast = require "skynet.multicast"
local datacenter = require "skynet.datacenter"

skynet.start(function()
	skynet.newservice "counter"
	local news = multicast.new()
	datacenter.set("NEWS", news.channel)
	skynet.error("channel NEWS is " .. tostring(news))

	skynet.fork(function()
		local n = 0
		while true do
			n = n + 1
			news:publish("tick", n)
			skynet.sleep(100)
		end
	end)

	skynet.fork(function()
		while true do
			harbor.connect(2)
			skynet.error "harbor 2 joined"
			harbor.link(2)
			skynet.error "harbor 2 left"
		end
	end)
end)
