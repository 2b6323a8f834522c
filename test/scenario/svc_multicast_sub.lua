-- Helper of the multicast scenarios: a subscriber that reports every message
-- it gets to a collector: skynet.send(collector, "lua", "got", self, channel,
-- source, ...).
--	sub(channel, collector) -> subscribes;  unsub() -> unsubscribes
--	exit() (send) -> exits without unsubscribing
local skynet = require "skynet"
local mc = require "skynet.multicast"

local chan
local command = {}

function command.sub(channel, collector)
	chan = mc.new {
		channel = channel,
		dispatch = function(ch, source, ...)
			skynet.send(collector, "lua", "got", skynet.self(), ch.channel, source, ...)
		end,
	}
	chan:subscribe()
	skynet.retpack(tostring(chan))
end

function command.unsub()
	chan:unsubscribe()
	skynet.retpack(true)
end

function command.exit()
	skynet.exit()
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		command[cmd](...)
	end)
end)
