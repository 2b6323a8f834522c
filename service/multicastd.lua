-- multicastd: the channels of skynet.multicast on this harbor (one per node,
-- a unique service, registered in the datacenter as ("multicast", harbor)).
--
-- A channel id's low 8 bits are the harbor that owns the channel. The owner
-- knows its local subscribers and which other harbors subscribe; another
-- harbor's multicastd subscribes once for all its local subscribers (SUBR)
-- and gets every message once, which it fans out locally.
--
-- Local subscribers each get their own copy of the message (PTYPE_MULTICAST,
-- session = channel id, source = the publisher): a copy that is never
-- dispatched (a subscriber that exited or unsubscribed) is simply freed, so
-- nothing leaks. A subscriber found dead on delivery is unsubscribed; a
-- harbor that goes down is dropped from the channels it subscribed to.
local skynet = require "skynet"
local mc = require "skynet.multicast.core"
local datacenter = require "skynet.datacenter"
local harbor = require "skynet.harbor"

local harbor_id = skynet.harbor(skynet.self())

local channels = {}	-- channel id -> { [subscriber] = true }
local counts = {}	-- channel id -> number of local subscribers
local remotes = {}	-- channel id owned here -> { [harbor id] = true }
local watched = {}	-- harbor ids whose loss is watched
local next_id = harbor_id
local NORET = {}
local NONE = {}

local watch_harbor

-- multicastd of another harbor, cached until that harbor goes down
local multicastd_of = setmetatable({}, {
	__index = function(t, node)
		local addr = assert(datacenter.get("multicast", node), "no multicastd on harbor " .. node)
		t[node] = addr
		watch_harbor(node)
		return addr
	end,
})

local function owner(c)
	return c % 256
end

-- A harbor that goes down no longer subscribes to anything.
function watch_harbor(node)
	if watched[node] then
		return
	end
	watched[node] = true
	skynet.fork(function()
		harbor.link(node)
		watched[node] = nil
		multicastd_of[node] = nil
		for _, nodes in pairs(remotes) do
			nodes[node] = nil
		end
	end)
end

local function remove_subscriber(c, addr)
	local group = channels[c]
	if not (group and group[addr]) then
		return
	end
	group[addr] = nil
	counts[c] = counts[c] - 1
	if counts[c] == 0 and owner(c) ~= harbor_id then
		-- nobody here listens to this remote channel any more
		channels[c] = nil
		counts[c] = nil
		skynet.send(multicastd_of[owner(c)], "lua", "USUBR", c)
	end
end

-- Local subscribers first: finding another harbor's multicastd may wait,
-- and meanwhile the channel may be deleted.
local function deliver(c, source, msg)
	local group = channels[c]
	local dead
	for addr in pairs(group or NONE) do
		if not skynet.redirect(addr, source, "multicast", c, msg) then
			dead = dead or {}
			dead[#dead + 1] = addr
		end
	end
	local nodes = remotes[c]
	if nodes then
		local list = {}
		for node in pairs(nodes) do
			list[#list + 1] = node
		end
		for _, node in ipairs(list) do
			skynet.redirect(multicastd_of[node], source, "multicast", c, msg)
		end
	end
	if dead then
		for _, addr in ipairs(dead) do
			remove_subscriber(c, addr)
		end
	end
end

-- Fans a package (box, size from mc.pack / mc.packremote) out and frees it.
local function publish(c, source, box, size)
	local _, data, sz = mc.unpack(box, size)
	local msg = skynet.tostring(data, sz)
	mc.close(mc.bind(box, 1))
	deliver(c, source, msg)
end

local command = {}

-- A new channel owned by this harbor.
function command.NEW()
	while channels[next_id] do
		next_id = mc.nextid(next_id)
	end
	local c = next_id
	channels[c] = {}
	counts[c] = 0
	next_id = mc.nextid(next_id)
	return c
end

-- From the owner: a channel we subscribed to is gone.
function command.DELR(_, c)
	channels[c] = nil
	counts[c] = nil
	return NORET
end

function command.DEL(_, c)
	local node = owner(c)
	if node ~= harbor_id then
		skynet.send(multicastd_of[node], "lua", "DEL", c)
		return NORET
	end
	local nodes = remotes[c]
	channels[c] = nil
	counts[c] = nil
	remotes[c] = nil
	for n in pairs(nodes or NONE) do
		skynet.send(multicastd_of[n], "lua", "DELR", c)
	end
	return NORET
end

-- From a local publisher: box, size from mc.pack.
function command.PUB(source, c, box, size)
	assert(skynet.harbor(source) == harbor_id, "PUB from another harbor")
	local node = owner(c)
	if node ~= harbor_id then
		-- the owner fans out, to us too if we subscribe
		skynet.redirect(multicastd_of[node], source, "multicast", c, mc.remote(box))
	else
		publish(c, source, box, size)
	end
end

-- From another harbor's multicastd: it subscribes to a channel of ours.
-- Returns true when there is no such channel.
function command.SUBR(source, c)
	if not channels[c] then
		return true
	end
	local node = skynet.harbor(source)
	assert(node ~= harbor_id and owner(c) == harbor_id, "SUBR")
	local nodes = remotes[c]
	if nodes == nil then
		nodes = {}
		remotes[c] = nodes
	end
	nodes[node] = true
	local _ = multicastd_of[node]	-- known before the first publish
end

function command.SUB(source, c)
	local node = owner(c)
	if node ~= harbor_id and channels[c] == nil then
		if skynet.call(multicastd_of[node], "lua", "SUBR", c) then
			return	-- no such channel
		end
		if channels[c] == nil then	-- another SUB may have come first
			channels[c] = {}
			counts[c] = 0
		end
	end
	local group = channels[c]
	if group and not group[source] then
		group[source] = true
		counts[c] = counts[c] + 1
	end
end

function command.USUBR(source, c)
	local node = skynet.harbor(source)
	assert(node ~= harbor_id, "USUBR")
	local nodes = remotes[c]
	if nodes then
		nodes[node] = nil
	end
	return NORET
end

function command.USUB(source, c)
	remove_subscriber(c, source)
	return NORET
end

skynet.register_protocol {
	name = "multicast",
	id = skynet.PTYPE_MULTICAST,
	-- from another harbor: the session is the channel id
	unpack = function(msg, sz)
		return mc.packremote(msg, sz)
	end,
	dispatch = function(session, source, box, size)
		skynet.ignoreret()
		publish(session, source, box, size)
	end,
}

skynet.start(function()
	skynet.dispatch("lua", function(_, source, cmd, ...)
		local f = assert(command[cmd], cmd)
		local result = f(source, ...)
		if result ~= NORET then
			skynet.ret(skynet.pack(result))
		end
	end)
	-- a harbor that restarted replaces its old multicastd (upstream asserts)
	local old = datacenter.set("multicast", harbor_id, skynet.self())
	if old then
		skynet.error(string.format("multicastd of harbor %d replaces %s", harbor_id, skynet.address(old)))
	end
end)
