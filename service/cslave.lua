-- The harbor slave of a multi-node skynet (harbor = 1..255), named ".cslave".
-- It joins the master (config `master`), listens on `address` for the slaves
-- that joined before it, connects to the ones that join later, and hands
-- every such socket to the C harbor service, which carries the messages.
-- It also keeps the global names: registered here, shared by the master.
-- (Package format: see cmaster.lua.)
local skynet = require "skynet.manager"
local socket = require "skynet.socket"
local socketdriver = require "skynet.socketdriver"

local ID_TIMEOUT = 1000	-- centiseconds an inbound harbor has to send its id

local harbor_id
local harbor_service
local master_fd
local ready = false

local links = {}	-- harbor id -> fd while up, false once down
local pending_connect = {}	-- harbor id -> address (C before we are ready)
local names = {}	-- global name -> handle
local asked = {}	-- global names asked from the master, not known yet
local querying = {}	-- global name -> responses of QUERYNAME callers
local on_up = {}	-- harbor id -> responses of CONNECT callers
local on_down = {}	-- harbor id -> responses of LINK callers
local on_master_lost = {}	-- responses of LINKMASTER callers

local function read_package(fd)
	local head = socket.read(fd, 1)
	if not head then
		error("closed", 0)
	end
	local body = socket.read(fd, head:byte())
	if not body then
		error("closed", 0)
	end
	return skynet.unpack(body)
end

local function package(...)
	local body = skynet.packstring(...)
	assert(#body <= 255, "package too long")
	return string.char(#body) .. body
end

local function answer_all(list, ...)
	if list then
		for _, response in ipairs(list) do
			response(true, ...)
		end
	end
end

local function link_up(id, fd)
	links[id] = fd
	local waiting = on_up[id]
	on_up[id] = nil
	answer_all(waiting)
end

local function link_gone(id)
	local was = links[id]
	links[id] = false
	if was then
		local waiting = on_down[id]
		on_down[id] = nil
		answer_all(waiting)
	end
end

-- Tell the C harbor where a name lives; the owner is the message's source.
local function teach_harbor(name, handle)
	skynet.redirect(harbor_service, handle, "harbor", 0, "N " .. name)
end

local function learn_name(name, handle)
	names[name] = handle
	asked[name] = nil
	local waiting = querying[name]
	querying[name] = nil
	answer_all(waiting, handle)
	if ready then
		teach_harbor(name, handle)
	end
end

local function ask_master(name)
	if not asked[name] then
		asked[name] = true
		socket.write(master_fd, package("Q", name))
	end
end

local function connect_harbor(id, address)
	if links[id] then
		return
	end
	local ok, err = pcall(function()
		local fd = assert(socket.open(address), "Can't connect to " .. address)
		socketdriver.nodelay(fd)
		skynet.error(string.format("Connect to harbor %d (fd=%d), %s", id, fd, address))
		socket.abandon(fd)
		link_up(id, fd)
		skynet.send(harbor_service, "harbor", string.format("S %d %d", fd, id))
	end)
	if not ok then
		skynet.error(err)
	end
end

local from_master = {}

function from_master.C(id, address)
	if ready then
		connect_harbor(id, address)
	else
		pending_connect[id] = address
	end
end

function from_master.N(name, handle)
	learn_name(name, handle)
end

function from_master.D(id)
	link_gone(id)
end

local function watch_master()
	while true do
		local ok, t, a, b = pcall(read_package, master_fd)
		if not ok then
			break
		end
		local f = from_master[t]
		if f then
			f(a, b)
		else
			skynet.error("Unknown master message " .. tostring(t))
		end
	end
	skynet.error "Master disconnect"
	local waiting = on_master_lost
	on_master_lost = {}
	answer_all(waiting)
	socket.close(master_fd)
end

-- After the handshake: connect to the slaves announced meanwhile and give
-- the C harbor the names learnt so far.
local function become_ready()
	ready = true
	local queue = pending_connect
	pending_connect = nil
	for id, address in pairs(queue) do
		connect_harbor(id, address)
	end
	for name, handle in pairs(names) do
		teach_harbor(name, handle)
	end
end

-- An older slave connects to us and first sends its id (one byte).
local function accept_harbor(fd, addr)
	skynet.error(string.format("New connection (fd = %d, %s)", fd, addr))
	socketdriver.nodelay(fd)
	socket.start(fd)
	local done = false
	skynet.timeout(ID_TIMEOUT, function()
		if not done then
			socket.close(fd)
		end
	end)
	local byte = socket.read(fd, 1)
	done = true
	if not byte then
		skynet.error(string.format("Connection (fd =%d) closed", fd))
		socket.close(fd)
		return
	end
	local id = byte:byte()
	if id == 0 or id == harbor_id or links[id] then
		skynet.error(string.format("Slave %d exist or invalid (fd =%d)", id, fd))
		socket.close(fd)
		return
	end
	socket.abandon(fd)
	link_up(id, fd)
	skynet.error(string.format("Harbor %d connected (fd = %d)", id, fd))
	skynet.send(harbor_service, "harbor", string.format("A %d %d", fd, id))
	return true
end

local function count_links()
	local n = 0
	for _, fd in pairs(links) do
		if fd then
			n = n + 1
		end
	end
	return n
end

-- Commands from the C harbor (text): Q name, D id.
local function harbor_says(_, _, text)
	local cmd, arg = text:sub(1, 1), text:sub(3)
	if cmd == "Q" then
		local handle = names[arg]
		if handle then
			teach_harbor(arg, handle)
		else
			ask_master(arg)
		end
	elseif cmd == "D" then
		link_gone(tonumber(arg))
	else
		skynet.error("Unknown command " .. text)
	end
end

local command = {}

function command.REGISTER(name, handle)
	assert(names[name] == nil, "global name already registered")
	socket.write(master_fd, package("R", name, handle))
	learn_name(name, handle)
	if not ready then	-- learn_name teaches the harbor once ready
		teach_harbor(name, handle)
	end
end

function command.QUERYNAME(name)
	if name:byte() == 46 then	-- '.': a local name
		skynet.ret(skynet.pack(skynet.localname(name)))
		return
	end
	local handle = names[name]
	if handle then
		skynet.ret(skynet.pack(handle))
		return
	end
	local waiting = querying[name]
	if not waiting then
		waiting = {}
		querying[name] = waiting
	end
	table.insert(waiting, skynet.response())
	ask_master(name)
end

-- Returns when harbor id goes down (at once if it is not up).
function command.LINK(id)
	if links[id] then
		local waiting = on_down[id] or {}
		on_down[id] = waiting
		table.insert(waiting, skynet.response())
	else
		skynet.ret()
	end
end

-- Returns when harbor id is connected (at once if it is).
function command.CONNECT(id)
	if links[id] then
		skynet.ret()
	else
		local waiting = on_up[id] or {}
		on_up[id] = waiting
		table.insert(waiting, skynet.response())
	end
end

function command.LINKMASTER()
	table.insert(on_master_lost, skynet.response())
end

skynet.register_protocol {
	name = "harbor",
	id = skynet.PTYPE_HARBOR,
	pack = function(...) return ... end,
	unpack = skynet.tostring,
}

skynet.register_protocol {
	name = "text",
	id = skynet.PTYPE_TEXT,
	pack = function(...) return ... end,
	unpack = skynet.tostring,
}

skynet.start(function()
	harbor_id = tonumber(skynet.getenv "harbor")
	local master = assert(skynet.getenv "master", "config key `master` missing")
	local address = assert(skynet.getenv "address", "config key `address` missing")
	local listener = socket.listen(address)
	skynet.error("slave connect to master " .. master)
	master_fd = assert(socket.open(master), "Can't connect to master")

	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = assert(command[cmd], cmd)
		f(...)
	end)
	skynet.dispatch("text", harbor_says)
	harbor_service = assert(skynet.launch("harbor", harbor_id, skynet.self()))

	socket.write(master_fd, package("H", harbor_id, address))
	local ok, t, n = pcall(read_package, master_fd)
	if not ok then
		error(string.format("the master closed the handshake (is harbor %d already in use?)", harbor_id))
	end
	assert(t == "W" and type(n) == "number", "slave shakehand failed")
	skynet.error(string.format("Waiting for %d harbors", n))
	skynet.fork(watch_master)
	if n > 0 then
		local co = coroutine.running()
		socket.start(listener, function(fd, addr)
			if accept_harbor(fd, addr) and count_links() >= n then
				skynet.wakeup(co)
			end
		end)
		skynet.wait(co)
	end
	socket.close(listener)
	skynet.error "Shakehand ready"
	skynet.fork(become_ready)
end)
