-- The demo started by config.example (start = "main"). It brings up:
--	echo       a service defined inline with skynet.service; answers "lua" calls
--	heartbeat  another inline service; every few seconds it calls echo and logs
--	tcpecho    a line echo server on 127.0.0.1:<echo_port> (try: nc 127.0.0.1 8001)
--	debug_console on 127.0.0.1:<console_port>, when that key is set
-- then exits; the services it started keep the node alive.
local skynet = require "skynet"
local service = require "skynet.service"
local datacenter = require "skynet.datacenter"

-- Inline services are sent to a fresh Lua state as bytecode, so they can't
-- see the locals of this file: each requires what it uses.

local function echo_main()
	local skynet = require "skynet"
	local calls = 0
	skynet.start(function()
		skynet.dispatch("lua", function(_, _, cmd, ...)
			calls = calls + 1
			if cmd == "ping" then
				skynet.retpack("pong", ...)
			elseif cmd == "calls" then
				skynet.retpack(calls)
			else
				error("echo: unknown command " .. tostring(cmd))
			end
		end)
	end)
end

local function heartbeat_main(interval)
	local skynet = require "skynet"
	local service = require "skynet.service"
	local function beat(n)
		local echo = service.query "echo"
		local answer, seq = skynet.call(echo, "lua", "ping", n)
		local services = 0
		for _ in pairs(skynet.call(".launcher", "lua", "LIST")) do
			services = services + 1
		end
		skynet.error(string.format("heartbeat %d: echo answered %s %s; %d services; up %.1f s",
			n, answer, seq, services, skynet.now() / 100))
	end
	skynet.start(function()
		skynet.fork(function()
			local n = 0
			while true do
				n = n + 1
				beat(n)
				skynet.sleep(interval)
			end
		end)
	end)
end

local function tcpecho_main(host, port)
	local skynet = require "skynet"
	local socket = require "skynet.socket"
	local function serve(id, addr)
		socket.start(id)
		skynet.error("tcpecho: " .. addr .. " connected")
		socket.write(id, "Hello from skynet, I echo lines\n")
		while true do
			local line = socket.readline(id)
			if not line then
				break
			end
			socket.write(id, line .. "\n")
		end
		socket.close(id)
		skynet.error("tcpecho: " .. addr .. " left")
	end
	skynet.start(function()
		local listener = socket.listen(host, port)
		socket.start(listener, function(id, addr)
			skynet.fork(serve, id, addr)
		end)
		skynet.error(string.format("tcpecho: listening on %s:%d", host, port))
	end)
end

skynet.start(function()
	skynet.error("demo: main is " .. skynet.address(skynet.self()))

	local echo = service.new("echo", echo_main)
	skynet.error("demo: echo service is " .. skynet.address(echo))
	skynet.error("demo: echo says " .. table.concat({ skynet.call(echo, "lua", "ping", "hello") }, " "))

	datacenter.set("demo", "started", skynet.time())
	skynet.error("demo: datacenter demo.started = " .. datacenter.get("demo", "started"))

	local port = tonumber(skynet.getenv "echo_port" or 8001)
	service.new("tcpecho", tcpecho_main, "127.0.0.1", port)

	local console = tonumber(skynet.getenv "console_port")
	if console then
		local ok, err = pcall(skynet.newservice, "debug_console", "127.0.0.1", console)
		if ok then
			skynet.error("demo: debug_console on 127.0.0.1:" .. console)
		else
			skynet.error("demo: no debug_console: " .. tostring(err))
		end
	end

	service.new("heartbeat", heartbeat_main, 500)
	skynet.error("demo: heartbeat every 5 s; stop the node with Ctrl-C")
	skynet.exit()
end)
