-- clusterd: the node map, the senders, the listening gates and the names
-- registered for remote callers. One per node (skynet.uniqueservice).
--
-- Node map: the file named by the config key `cluster` (a Lua chunk whose
-- globals are `name = "host:port"`, or `false` for a node that is down, and
-- `__option = value`), merged again by `reload`. With the config key
-- `cluster_watch = <centiseconds>` the file is re-read that often and merged
-- whenever its text changes.
local skynet = require "skynet"
require "skynet.manager"
local core = require "skynet.cluster.core"

local config_file = skynet.getenv "cluster"
local nodename = core.nodename()

local option = {}		-- __name = value entries (nowaiting)
local node_address = {}	-- node -> "host:port" | false
local command = {}

---------------------------------------------------------------------------
-- Senders

local sender_of = {}	-- node -> clustersender handle (kept for the node's lifetime)
local sender_ready = {}	-- node -> true while its sender points at node_address[node]
local sender_closed = {}	-- node -> true once its sender was turned off (address false)
local opening = {}		-- node -> { waiting coroutines..., address = being opened }
local unresolved = {}	-- node -> coroutine waiting for the node to appear in the map

local function split_address(address)
	local host, port = address:match "^(.+):(%d+)$"
	if not host then
		error(string.format("Invalid cluster address %q", address))
	end
	return host, port
end

-- Wait until the node has an entry in the map (unless `nowaiting`).
local function wait_resolved(node)
	if node_address[node] ~= nil or option.nowaiting then
		return
	end
	skynet.error(string.format("Waiting for cluster node [%s]", node))
	local co = coroutine.running()
	unresolved[node] = co
	skynet.wait(co)
	unresolved[node] = nil
end

-- Point the node's sender at its current address: create it, connect it,
-- or turn it off. Returns the sender (nil for a down node that never had
-- one); raises if the node is absent or its address cannot be reached.
-- op.address records the address acted on.
local function open_sender(node, op)
	wait_resolved(node)
	local address = node_address[node]
	op.address = address
	if address == nil then
		error(string.format("cluster node [%s] is absent.", node))
	end
	local s = sender_of[node]
	if address == false then
		if s and not sender_closed[node] then
			skynet.call(s, "lua", "changenode", false)
			sender_closed[node] = true
		end
		return s
	end
	split_address(address)	-- a bad address fails here, not in the sender
	if not s then
		s = skynet.newservice("clustersender", node, nodename, address)
		if sender_of[node] then
			-- another open made one while this one launched
			skynet.kill(s)
			s = sender_of[node]
		else
			sender_of[node] = s
		end
	end
	local ok, err = pcall(skynet.call, s, "lua", "changenode", address)
	if not ok then
		error(string.format("changenode [%s] (%s) failed: %s", node, address, tostring(err)))
	end
	sender_closed[node] = nil
	return s
end

-- The sender of a node, ready to use. Concurrent requests for the same node
-- share one open; if the address changed meanwhile, it is opened again.
local function node_sender(node)
	while true do
		if sender_ready[node] then
			return sender_of[node]
		end
		local op = opening[node]
		if op then
			local co = coroutine.running()
			op[#op + 1] = co
			skynet.wait(co)
		else
			op = {}
			opening[node] = op
			op.ok, op.result = pcall(open_sender, node, op)
			opening[node] = nil
			for _, co in ipairs(op) do
				skynet.wakeup(co)
			end
			if op.ok and op.address == node_address[node] then
				-- a down node is looked at again on every request
				sender_ready[node] = op.address and true or nil
			end
		end
		if op.address == node_address[node] then
			if op.ok then
				return op.result
			end
			error(op.result, 0)
		end
		-- the map changed while opening: go round again
	end
end

-- Re-point an existing sender after its node's address changed, so that
-- services holding its handle reach the new address (or fail fast).
local function refresh_sender(node)
	local ok, err = pcall(node_sender, node)
	if not ok then
		skynet.error(err)
	end
end

---------------------------------------------------------------------------
-- Node map

-- A map is checked as a whole before any of it is applied.
local function check_map(map)
	if type(map) ~= "table" then
		error("Invalid cluster config : " .. tostring(map))
	end
	for name, address in pairs(map) do
		if type(name) ~= "string" then
			error("Invalid cluster node name " .. tostring(name))
		end
		if name:sub(1, 2) ~= "__" and address ~= false then
			if type(address) ~= "string" or not pcall(split_address, address) then
				error(string.format("Invalid address of cluster node [%s] : %s", name, tostring(address)))
			end
		end
	end
end

local function merge(map)
	check_map(map)
	local changed = {}
	for name, address in pairs(map) do
		if name:sub(1, 2) == "__" then
			local key = name:sub(3)
			option[key] = address
			skynet.error(string.format("Config %s = %s", key, tostring(address)))
		else
			if node_address[name] ~= address then
				node_address[name] = address
				sender_ready[name] = nil
				if sender_of[name] then
					changed[#changed + 1] = name
				end
			end
			local co = unresolved[name]
			if co and not option.nowaiting then
				skynet.error(string.format("Cluster node [%s] resolved : %s", name, tostring(address)))
				unresolved[name] = nil
				skynet.wakeup(co)
			end
		end
	end
	if option.nowaiting then
		for name, co in pairs(unresolved) do
			unresolved[name] = nil
			skynet.wakeup(co)
		end
	end
	for _, name in ipairs(changed) do
		skynet.fork(refresh_sender, name)
	end
end

local function read_file(name)
	local f, err = io.open(name, "rb")
	if not f then
		error("Can't open cluster config " .. tostring(err))
	end
	local text = f:read "*a"
	f:close()
	return text
end

local function parse(text, name)
	local map = {}
	local chunk, err = load(text, "@" .. name, "t", map)
	if not chunk then
		error(err, 0)
	end
	chunk()
	return map
end

local file_text	-- the text last merged from config_file

local function load_file()
	if not config_file then
		return
	end
	local text = read_file(config_file)
	merge(parse(text, config_file))
	file_text = text
end

-- Optional: `cluster_watch` = centiseconds between looks at the file. A
-- change is applied once two looks in a row agree, so that a file caught
-- half-written is not taken for the new map.
local function watch_file(interval)
	local seen	-- changed text from the previous look
	while true do
		skynet.sleep(interval)
		local ok, text = pcall(read_file, config_file)
		if not ok or text == file_text then
			seen = nil
		elseif text ~= seen then
			seen = text
		else
			seen = nil
			file_text = text	-- a broken file is reported once, not every round
			local pok, err = pcall(function()
				merge(parse(text, config_file))
			end)
			if pok then
				skynet.error(string.format("Cluster config %s reloaded", config_file))
			else
				skynet.error(string.format("Cluster config %s not reloaded: %s", config_file, tostring(err)))
			end
		end
	end
end

---------------------------------------------------------------------------
-- Commands (names and arguments as upstream's, so either side can be swapped)

function command.reload(source, map)
	if map == nil then
		load_file()
	else
		merge(map)
	end
	skynet.ret(skynet.pack(nil))
end

function command.listen(source, addr, port, maxclient)
	local gate = skynet.newservice("gate")
	if port == nil then
		-- addr is a node name: listen where the map says it lives
		local address = node_address[addr]
		if not address then
			skynet.kill(gate)
			error(addr .. " is down")
		end
		skynet.call(gate, "lua", "open", { address = address, maxclient = maxclient })
		skynet.retpack(addr, nil)
	else
		local realaddr, realport = skynet.call(gate, "lua", "open",
			{ address = addr, port = port, maxclient = maxclient })
		skynet.retpack(realaddr, realport)
	end
end

function command.sender(source, node)
	skynet.retpack(node_sender(node))
end

function command.senders(source)
	skynet.retpack(sender_of)
end

local proxy = {}	-- "node.name" -> clusterproxy handle

function command.proxy(source, node, name)
	if name == nil then
		local fullname = node
		node, name = tostring(fullname):match "^([^@.]+)([@.].+)$"
		if name == nil then
			error("Invalid name " .. tostring(fullname))
		end
	end
	local key = node .. "." .. tostring(name)
	local p = proxy[key]
	if p == nil then
		p = skynet.newservice("clusterproxy", node, name)
		if proxy[key] then
			skynet.kill(p)
			p = proxy[key]
		else
			proxy[key] = p
		end
	end
	skynet.retpack(p)
end

---------------------------------------------------------------------------
-- Inbound connections and registered names

local agent_of = {}	-- fd -> clusteragent handle | false (launching) | true (closed while launching)
local registered = {}	-- name -> handle and handle -> name

-- Agents cache name lookups; tell them when a name goes away or moves.
local function names_changed()
	for _, agent in pairs(agent_of) do
		if type(agent) == "number" then
			skynet.send(agent, "lua", "namechange")
		end
	end
end

function command.register(source, name, addr)
	assert(registered[name] == nil, "cluster name already registered: " .. tostring(name))
	addr = addr or source
	local old = registered[addr]
	if old then
		registered[old] = nil
		names_changed()
	end
	registered[addr] = name
	registered[name] = addr
	skynet.ret(nil)
	skynet.error(string.format("Register [%s] :%08x", name, addr))
end

function command.unregister(source, name)
	local addr = registered[name]
	if not addr then
		return skynet.ret(nil)
	end
	registered[addr] = nil
	registered[name] = nil
	names_changed()
	skynet.ret(nil)
	skynet.error(string.format("Unregister [%s] :%08x", name, addr))
end

function command.queryname(source, name)
	skynet.retpack(registered[name])
end

-- Notices from the gates (as their watchdog).
function command.socket(source, sub, fd, msg)
	if sub == "open" then
		skynet.error(string.format("socket accept from %s", msg))
		agent_of[fd] = false
		local agent = skynet.newservice("clusteragent", skynet.self(), source, fd, msg)
		if agent_of[fd] == true then
			-- the connection ended while the agent was starting
			agent_of[fd] = nil
			skynet.send(agent, "lua", "exit")
		else
			agent_of[fd] = agent
		end
	elseif sub == "close" or sub == "error" then
		local agent = agent_of[fd]
		if agent == false then
			agent_of[fd] = true
		elseif agent then
			agent_of[fd] = nil
			skynet.send(agent, "lua", "exit")
		end
	else
		skynet.error(string.format("socket %s %d %s", sub, fd, msg or ""))
	end
end

skynet.start(function()
	load_file()
	local interval = tonumber(skynet.getenv "cluster_watch")
	if interval and interval > 0 and config_file then
		skynet.fork(watch_file, math.floor(interval))
	end
	skynet.dispatch("lua", function(session, source, cmd, ...)
		local f = assert(command[cmd], cmd)
		f(source, ...)
	end)
end)
