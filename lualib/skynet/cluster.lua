-- Calls and sends to services on other nodes of a cluster.
--
-- Every remote node has one clustersender service on this node (owned by
-- clusterd). A service remembers the sender of each node it has talked to;
-- until the sender is known, its calls and sends wait in a per-node queue
-- so that they still leave in the order they were made.
local skynet = require "skynet"

local clusterd
local cluster = {}

local sender = {}	-- node -> sender handle, once clusterd answered
local waiting = {}	-- node -> queue of pending work while the sender is unknown

-- A send made before the sender is known waits as a string (address and
-- arguments); it is packed again, into a fresh buffer, when it goes out.
local function push_args(address, ...)
	return address, skynet.pack(...)
end

-- Ask clusterd for the sender, then release the queue in order: sends are
-- pushed here, each waiting call is resumed and gets to issue its request
-- before anything queued after it goes out.
local function resolve_sender(q, node)
	local ok, s = pcall(skynet.call, clusterd, "lua", "sender", node)
	if not ok then
		skynet.error(s)
		s = nil
	end
	q.sender = s
	q.resumer = coroutine.running()
	-- the queue may grow while a call is being released
	local i = 1
	while q[i] ~= nil do
		local task = q[i]
		q[i] = false
		i = i + 1
		if type(task) == "string" then
			if s then
				skynet.send(s, "lua", "push", push_args(skynet.unpack(task)))
			end
		else
			skynet.wakeup(task)
			skynet.wait(q.resumer)
		end
	end
	waiting[node] = nil
	sender[node] = s
end

local function queue_of(node)
	local q = waiting[node]
	if not q then
		q = {}
		waiting[node] = q
		skynet.fork(resolve_sender, q, node)
	end
	return q
end

local function get_sender(node)
	local s = sender[node]
	if s then
		return s
	end
	local q = queue_of(node)
	local co = coroutine.running()
	q[#q + 1] = co
	skynet.wait(co)
	-- resolve_sender waits until this call has sent its request
	skynet.wakeup(q.resumer)
	return q.sender
end

cluster.get_sender = get_sender

function cluster.call(node, address, ...)
	local s = sender[node]
	if s then
		-- the packed buffer is freed by the sender (cluster.core.packrequest)
		return skynet.call(s, "lua", "req", address, skynet.pack(...))
	end
	-- keep the arguments as a string while waiting for the sender
	local args = skynet.packstring(...)
	s = get_sender(node)
	return skynet.call(s, "lua", "req", address, skynet.pack(skynet.unpack(args)))
end

function cluster.send(node, address, ...)
	local s = sender[node]
	if s then
		skynet.send(s, "lua", "push", address, skynet.pack(...))
	else
		local q = queue_of(node)
		q[#q + 1] = skynet.packstring(address, ...)
	end
end

-- open(port[, maxclient]) listens on 0.0.0.0:port and returns the address and
-- port (port 0 picks a free one); open(nodename[, maxclient]) listens on the
-- address configured for that node.
function cluster.open(port, maxclient)
	if type(port) == "string" then
		return skynet.call(clusterd, "lua", "listen", port, nil, maxclient)
	end
	return skynet.call(clusterd, "lua", "listen", "0.0.0.0", port, maxclient)
end

-- reload(tbl) merges tbl into the node map; reload() re-reads the file named
-- by the config key `cluster`.
function cluster.reload(config)
	skynet.call(clusterd, "lua", "reload", config)
end

-- proxy("node@name" | "node.name") or proxy(node, "@name" | ".name" | handle)
function cluster.proxy(node, name)
	return skynet.call(clusterd, "lua", "proxy", node, name)
end

function cluster.snax(node, name, address)
	local ok, snax = pcall(require, "skynet.snax")
	if not ok then
		error("cluster.snax: snax is not supported on this node", 2)
	end
	if not address then
		address = cluster.call(node, ".service", "QUERY", "snaxd", name)
	end
	local handle = skynet.call(clusterd, "lua", "proxy", node, address)
	return snax.bind(handle, name)
end

function cluster.register(name, addr)
	assert(type(name) == "string", "cluster.register: name must be a string")
	assert(addr == nil or type(addr) == "number", "cluster.register: address must be a handle")
	return skynet.call(clusterd, "lua", "register", name, addr)
end

function cluster.unregister(name)
	assert(type(name) == "string", "cluster.unregister: name must be a string")
	return skynet.call(clusterd, "lua", "unregister", name)
end

-- The handle a name is registered under on node (address 0 asks the peer's
-- clusteragent for it).
function cluster.query(node, name)
	return skynet.call(get_sender(node), "lua", "req", 0, skynet.pack(name))
end

skynet.init(function()
	clusterd = skynet.uniqueservice("clusterd")
end)

return cluster
