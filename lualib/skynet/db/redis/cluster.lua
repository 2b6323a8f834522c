-- Redis Cluster client: keys are hashed to one of 16384 slots (CRC16 of the
-- key or of its {hash tag}); CLUSTER SLOTS says which master serves which
-- slots. A MOVED reply updates that map (and a full refresh follows), an ASK
-- reply sends one command with ASKING to the node that is importing the
-- slot; a node that can't be reached makes the client try the others.
--
--   local c = cluster.new({ { host = h, port = p }, ... }, { auth, db, read_slave, max_connections }, onmessage)
--   c:set("k", "v"); c:get "k"; c:subscribe "ch" (messages go to onmessage(data, channel, pattern))
local skynet = require "skynet"
local redis = require "skynet.db.redis"
local crc16 = require "skynet.db.redis.crc16"

local HASH_SLOTS = 16384
local MAX_REDIRECTIONS = 16

local find = string.find
local sub = string.sub
local lower = string.lower
local format = string.format
local unpack = table.unpack or unpack
local pack = table.pack

local cluster = {}
local methods = {}

local function node_name(node)
	return node.host .. ":" .. node.port
end

local function new_node(host, port)
	local node = { host = host, port = assert(tonumber(port)), slaves = {} }
	node.name = node_name(node)
	return node
end

-- One coroutine does f(...) for key; the others asking meanwhile wait for
-- and share its result (no two connections to one node).
local function once(self, key, f, ...)
	local running = self.__running
	local waiters = running[key]
	if waiters then
		local co = coroutine.running()
		waiters[#waiters + 1] = co
		skynet.wait(co)
		local r = waiters.result
		return unpack(r, 1, r.n)
	end
	waiters = {}
	running[key] = waiters
	local r = pack(pcall(f, ...))
	waiters.result = r
	running[key] = nil
	for _, co in ipairs(waiters) do
		skynet.wakeup(co)
	end
	return unpack(r, 1, r.n)
end

local function shared(self, key, f)
	local ok, v = once(self, key, f)
	if not ok then
		error(v, 0)
	end
	return v
end

function cluster.new(startup_nodes, opt, onmessage)
	if startup_nodes.host then
		startup_nodes = { startup_nodes }
	end
	assert(#startup_nodes > 0, "redis cluster needs a startup node")
	opt = opt or {}
	local self = setmetatable({
		startup_nodes = startup_nodes,
		opt = opt,
		max_connections = opt.max_connections or 256,
		connections = {},	-- node name -> redis connection
		slots = {},		-- slot -> master node
		nodes = {},		-- masters, in CLUSTER SLOTS order
		refresh_table_asap = false,
		__running = {},
		__onmessage = onmessage,
		__watching = {},	-- node name -> redis watch
	}, cluster.meta)
	self:initialize_slots_cache()
	return self
end

function methods:get_redis_link(node)
	return redis.connect {
		host = node.host,
		port = node.port,
		auth = self.opt.auth,
		username = self.opt.username,
		db = self.opt.db,
		timeout = self.opt.timeout,
	}
end

-- Read CLUSTER SLOTS from the first node that answers: the startup nodes,
-- then the masters known so far (the startup nodes may all be gone).
function methods:initialize_slots_cache()
	local candidates = {}
	for _, n in ipairs(self.startup_nodes) do
		candidates[#candidates + 1] = n
	end
	for _, n in ipairs(self.nodes) do
		candidates[#candidates + 1] = n
	end
	local last_err
	for _, candidate in ipairs(candidates) do
		local ok, err = pcall(self.load_slots, self, candidate)
		if ok then
			self.refresh_table_asap = false
			return
		end
		last_err = err
	end
	skynet.error("redis cluster: no node gave its slot map:", tostring(last_err))
end

function methods:load_slots(from)
	local conn = self:get_connection(from)
	local ranges = conn:cluster "slots"
	local slots, nodes, by_name = {}, {}, {}
	local function node_of(entry)
		local host = entry[1]
		if host == nil or host == "" or host == "?" then
			host = from.host	-- the node we asked
		end
		local node = new_node(host, entry[2])
		local known = by_name[node.name]
		if known then
			return known
		end
		by_name[node.name] = node
		return node
	end
	for _, range in ipairs(ranges) do
		local master = node_of(range[3])
		if not master.listed then
			master.listed = true
			nodes[#nodes + 1] = master
			for i = 4, #range do
				master.slaves[#master.slaves + 1] = node_of(range[i])
			end
		end
		for slot = tonumber(range[1]), tonumber(range[2]) do
			slots[slot] = master
		end
	end
	self.slots, self.nodes = slots, nodes
end

function methods:flush_slots_cache()
	self.slots = {}
end

-- Only what is between the first { and the next } is hashed, if not empty.
function methods:keyslot(key)
	key = tostring(key)
	local open = find(key, "{", 1, true)
	if open then
		local close = find(key, "}", open + 1, true)
		if close and close > open + 1 then
			key = sub(key, open + 1, close - 1)
		end
	end
	return crc16(key) % HASH_SLOTS
end

local keyless = { info = true, multi = true, exec = true, slaveof = true, config = true, shutdown = true }

-- The first argument is the key of most commands; where it is not, the
-- server's MOVED replies still lead to the right node.
function methods:get_key_from_command(cmd, argv)
	if keyless[cmd] then
		return nil
	end
	if cmd == "eval" or cmd == "evalsha" then
		local numkeys = tonumber(argv[3]) or 0
		local slot
		for i = 4, 3 + numkeys do
			local s = self:keyslot(argv[i])
			if slot and s ~= slot then
				error(cmd .. " - all keys must map to the same key slot")
			end
			slot = s
		end
		return argv[4]
	end
	return argv[2]
end

local function drop_oldest_if_full(self)
	local n = 0
	for _ in pairs(self.connections) do
		n = n + 1
	end
	if n >= self.max_connections then
		local name, conn = next(self.connections)
		self.connections[name] = nil
		pcall(conn.disconnect, conn)
	end
end

function methods:get_connection(node)
	local name = node.name or node_name(node)
	local conn = self.connections[name]
	if conn then
		return conn
	end
	return shared(self, name, function()
		local c = self.connections[name]
		if not c then
			drop_oldest_if_full(self)
			c = self:get_redis_link(node)
			self.connections[name] = c
		end
		return c
	end)
end

function methods:forget_connection(name)
	local conn = self.connections[name]
	if conn then
		self.connections[name] = nil
		pcall(conn.disconnect, conn)
	end
end

function methods:close_all_connection()
	local connections = self.connections
	self.connections = {}
	for _, conn in pairs(connections) do
		pcall(conn.disconnect, conn)
	end
end

-- A connection to any node that answers PING, the masters in random order.
function methods:get_random_connection()
	local nodes = {}
	for i, n in ipairs(#self.nodes > 0 and self.nodes or self.startup_nodes) do
		nodes[i] = n
	end
	for i = #nodes, 2, -1 do
		local j = math.random(i)
		nodes[i], nodes[j] = nodes[j], nodes[i]
	end
	for _, node in ipairs(nodes) do
		local ok, conn = pcall(self.get_connection, self, node)
		if ok then
			local alive, pong = pcall(conn.ping, conn)
			if alive and pong == "PONG" then
				return conn
			end
			self:forget_connection(node.name or node_name(node))
		end
	end
	error "Can't reach a single startup node."
end

function methods:get_connection_by_slot(slot)
	local node = self.slots[slot]
	if not node then
		return self:get_random_connection()
	end
	local ok, conn = pcall(self.get_connection, self, node)
	if ok then
		return conn
	end
	local slaves = node.slaves
	if self.opt.read_slave and slaves and #slaves > 0 then
		local replica = slaves[math.random(#slaves)]
		local rok, rconn = pcall(self.get_connection, self, replica)
		if rok then
			rconn:readonly()
			return rconn
		end
	end
	return self:get_random_connection()
end

local watch_commands = { subscribe = true, psubscribe = true, unsubscribe = true, punsubscribe = true }

-- "MOVED 3999 127.0.0.1:6381" / "ASK 3999 127.0.0.1:6381"
local function redirection_of(err)
	local kind, slot, host, port = err:match "(%u+) (%d+) (%S+):(%d+)"
	if kind == "MOVED" or kind == "ASK" then
		return kind, tonumber(slot), host, port
	end
end

function methods:call(name, ...)
	local cmd = lower(name)
	local argv = pack(name, ...)
	local key = self:get_key_from_command(cmd, argv)
	if key == nil then
		error("No way to dispatch this command to Redis Cluster: " .. tostring(name))
	end
	local slot = self:keyslot(key)
	if watch_commands[cmd] then
		local w = self:get_watch_connection_by_slot(slot)
		return w[cmd](w, ...)
	end
	if self.refresh_table_asap then
		self:initialize_slots_cache()
	end
	local asking, try_random
	local last_err
	for ttl = MAX_REDIRECTIONS, 1, -1 do
		local conn_ok, conn
		if asking then
			conn_ok, conn = pcall(self.get_connection, self, asking)
		elseif try_random then
			conn_ok, conn = pcall(self.get_random_connection, self)
		else
			conn_ok, conn = pcall(self.get_connection_by_slot, self, slot)
		end
		local ok, result
		if not conn_ok then
			ok, result = false, conn
		elseif asking then
			ok, result = pcall(conn.pipeline, conn, { { "asking" }, argv })
		else
			ok, result = pcall(conn[cmd], conn, ...)
		end
		if ok then
			return result
		end
		asking, try_random = nil, false
		last_err = tostring(result)
		local kind, to_slot, host, port = redirection_of(last_err)
		if kind == "ASK" then
			asking = new_node(host, port)
		elseif kind == "MOVED" then
			-- the map is stale: fix this slot now, reload the rest next call
			local node = new_node(host, port)
			local old = self.slots[to_slot]
			if old then
				node.slaves = old.slaves
			end
			self.slots[to_slot] = node
			self.refresh_table_asap = true
		elseif conn_ok and not find(last_err, "Error: socket", 1, true) and not find(last_err, "timeout", 1, true) then
			error(last_err, 0)	-- a reply of the command itself
		else
			-- the node is gone: its connection is useless, the map may be too
			local node = self.slots[slot]
			if node then
				self:forget_connection(node.name)
			end
			self.refresh_table_asap = true
			try_random = true
			if ttl < MAX_REDIRECTIONS / 2 then
				skynet.sleep(10)	-- give a failover time to happen
			end
		end
	end
	error(format("Too many Cluster redirections?,maybe node is disconnected (last error: %q)", tostring(last_err)), 0)
end

function methods:get_watch_connection_by_slot(slot)
	if not self.slots[slot] then
		self:initialize_slots_cache()
	end
	return self:get_watch_connection(assert(self.slots[slot], "no node serves this slot"))
end

local function pump_messages(self, name, w)
	local onmessage = self.__onmessage
	while self.__watching[name] == w do
		local ok, data, channel, pattern = pcall(w.message, w)
		if ok then
			if onmessage and data then
				local cok, err = pcall(onmessage, data, channel, pattern)
				if not cok then
					skynet.error("redis cluster: onmessage error", tostring(err))
				end
			end
		elseif self.__watching[name] == w then
			skynet.sleep(10)	-- the connection is being made again
		end
	end
end

function methods:get_watch_connection(node)
	local name = node.name or node_name(node)
	local w = self.__watching[name]
	if w then
		return w
	end
	return shared(self, "watch " .. name, function()
		local existing = self.__watching[name]
		if existing then
			return existing
		end
		local nw = redis.watch {
			host = node.host,
			port = node.port,
			auth = self.opt.auth,
			username = self.opt.username,
			db = self.opt.db,
		}
		self.__watching[name] = nw
		skynet.fork(pump_messages, self, name, nw)
		return nw
	end)
end

-- Stop every subscription connection.
function methods:close_all_watch()
	local watching = self.__watching
	self.__watching = {}
	for _, w in pairs(watching) do
		pcall(w.disconnect, w)
	end
end

cluster.meta = {
	__index = function(t, k)
		local m = methods[k]
		if m then
			return m
		end
		local f = function(self, ...)
			return self:call(k, ...)
		end
		methods[k] = f
		return f
	end,
}

return cluster
