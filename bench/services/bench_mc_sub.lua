-- multicast_fanout subscriber: counts nothing, acks the last message of each
-- round to the publisher (the launch argument).
local skynet = require "skynet"
local mc = require "skynet.multicast"

local publisher = tonumber((...))
local channel

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, id)
		assert(cmd == "sub")
		channel = mc.new {
			channel = id,
			dispatch = function(_, _, last)
				if last then
					skynet.send(publisher, "lua", "ack")
				end
			end,
		}
		channel:subscribe()
		skynet.ret(skynet.pack(true))
	end)
end)
