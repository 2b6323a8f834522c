-- skynet.multicast: publish/subscribe channels, served by the unique
-- service multicastd of each harbor.
--
--   local mc = require "skynet.multicast"
--   local ch = mc.new { dispatch = function(ch, source, ...) end }  -- new channel
--   local ch2 = mc.new { channel = id, dispatch = ... }  -- an existing channel
--   ch:subscribe()  ch:publish(...)  ch:unsubscribe()  ch:delete()
--
-- conf.pack / conf.unpack default to skynet.pack / skynet.unpack. A channel
-- object that is collected (or whose service exits) is unsubscribed.
local skynet = require "skynet"
local mc = require "skynet.multicast.core"

local multicastd
local multicast = {}
local subscribed = {}	-- channel id -> channel object

local chan = {}
local chan_meta = {
	__index = chan,
	__gc = function(self)
		self:unsubscribe()
	end,
	__tostring = function(self)
		return string.format("[Multicast:%x]", self.channel)
	end,
}

function multicast.new(conf)
	assert(multicastd, "Init first")
	local self = {}
	conf = conf or self
	self.channel = conf.channel or skynet.call(multicastd, "lua", "NEW")
	self.__pack = conf.pack or skynet.pack
	self.__unpack = conf.unpack or skynet.unpack
	self.__dispatch = conf.dispatch
	return setmetatable(self, chan_meta)
end

function chan:delete()
	local c = assert(self.channel)
	skynet.send(multicastd, "lua", "DEL", c)
	if subscribed[c] == self then
		subscribed[c] = nil
	end
	self.channel = nil
	self.__subscribe = nil
end

function chan:publish(...)
	local c = assert(self.channel)
	skynet.call(multicastd, "lua", "PUB", c, mc.pack(self.__pack(...)))
end

function chan:subscribe()
	local c = assert(self.channel)
	if self.__subscribe then
		return
	end
	skynet.call(multicastd, "lua", "SUB", c)
	self.__subscribe = true
	subscribed[c] = self
end

function chan:unsubscribe()
	if not self.__subscribe then
		return
	end
	local c = assert(self.channel)
	skynet.send(multicastd, "lua", "USUB", c)
	self.__subscribe = nil
	subscribed[c] = nil
end

-- Each message is this service's own copy (session = channel id); the
-- framework frees it after dispatch, subscribed or not.
local function dispatch_message(channel, source, msg, sz)
	skynet.ignoreret()
	local self = subscribed[channel]
	if self and self.__subscribe then
		self.__dispatch(self, source, self.__unpack(msg, sz))
	end
end

skynet.init(function()
	multicastd = skynet.uniqueservice "multicastd"
	skynet.register_protocol {
		name = "multicast",
		id = skynet.PTYPE_MULTICAST,
		unpack = function(msg, sz)
			return msg, sz
		end,
		dispatch = dispatch_message,
	}
end)

return multicast
