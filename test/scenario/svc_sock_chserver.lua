-- Test server for the socketchannel scenario. lua commands:
--	start(mode, name[, secret]) -> port   listen on 127.0.0.1:0
--	connections() -> n                    connections accepted so far
--	resume()                              start reading stalled connections
--	exit (send)                           die with connections open
-- mode "line" (order mode): one request per line, answered "<name>:<line>";
--	"hang" is never answered, "close" closes the connection, "stall" stops
--	reading until resume(). With a secret, the first line must be
--	"auth <secret>" (answered "ok") or the connection is closed.
-- mode "session": requests "<session> <op> [arg]" answered by frames
--	"<session> <ok|err|part> <len>\n<data>" where part means more parts
--	follow; ops: echo <text>, delay <cs> <text> (answered later), parts <n>,
--	fail, hang, bye (close the connection).
local skynet = require "skynet"
local socket = require "skynet.socket"
local L = require "svc_socklib"

local connections = 0
local stalled = {}

local function line_client(id, name, secret)
	if secret then
		if socket.readline(id) ~= "auth " .. secret then
			socket.close(id)
			return
		end
		socket.write(id, "ok\n")
	end
	while true do
		local line = socket.readline(id)
		if not line then
			break
		end
		if line == "close" then
			break
		elseif line == "stall" then
			local token = {}
			stalled[#stalled + 1] = token
			skynet.wait(token)
		elseif line ~= "hang" then
			socket.write(id, name .. ":" .. line .. "\n")
		end
	end
	socket.close(id)
end

local function frame(session, flag, data)
	return string.format("%d %s %d\n%s", session, flag, #data, data)
end

local function session_client(id, name)
	while true do
		local line = socket.readline(id)
		if not line then
			break
		end
		local session, op, arg = line:match("^(%d+) (%S+) ?(.*)$")
		session = tonumber(session)
		if op == "echo" then
			socket.write(id, frame(session, "ok", name .. ":" .. arg))
		elseif op == "delay" then
			local ti, text = arg:match("^(%d+) (.*)$")
			skynet.fork(function()
				skynet.sleep(tonumber(ti))
				socket.write(id, frame(session, "ok", name .. ":" .. text))
			end)
		elseif op == "parts" then
			local n = tonumber(arg)
			for i = 1, n - 1 do
				socket.write(id, frame(session, "part", "p" .. i))
			end
			socket.write(id, frame(session, "ok", "p" .. n))
		elseif op == "fail" then
			socket.write(id, frame(session, "err", "failed on purpose"))
		elseif op == "bye" then
			break
		end
	end
	socket.close(id)
end

local CMD = {}

function CMD.start(mode, name, secret)
	local _, port, accepted = L.listener()
	local serve = mode == "session" and session_client or line_client
	skynet.fork(function()
		while true do
			local ok, id = pcall(L.accept, accepted)
			if ok then
				connections = connections + 1
				skynet.fork(serve, id, name, secret)
			end
		end
	end)
	return port
end

function CMD.connections()
	return connections
end

function CMD.resume()
	for i, token in ipairs(stalled) do
		stalled[i] = nil
		skynet.wakeup(token)
	end
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		if cmd == "exit" then
			skynet.exit()
		end
		local f = assert(CMD[cmd], "svc_sock_chserver: unknown command")
		skynet.retpack(f(...))
	end)
end)
