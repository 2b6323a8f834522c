-- The sproto example's client, as a service of its own node
-- (config.client): handshake, set hello=world, get hello, then each word of
-- the config key client_gets, then quit. Prints every package it gets, then
-- stops its node. example_port sets the server's port.
local skynet = require "skynet"
require "skynet.manager"
local socket = require "skynet.socket"
local sproto = require "sproto"
local proto = require "proto"

local host = sproto.new(proto.s2c):host "package"
local request = host:attach(sproto.new(proto.c2s))

local function say(...)
	print(...)
	io.stdout:flush()
end

local fd
local session = 0

local function send_request(name, args)
	session = session + 1
	local pack = request(name, args, session)
	socket.write(fd, string.char(math.floor(#pack / 256), #pack % 256) .. pack)
	say("Request:", session, name)
end

local function read_package()
	local head = socket.read(fd, 2)
	if not head then
		return nil
	end
	return socket.read(fd, head:byte(1) * 256 + head:byte(2))
end

local function print_fields(args)
	if args then
		local keys = {}
		for k in pairs(args) do
			keys[#keys + 1] = k
		end
		table.sort(keys)
		for _, k in ipairs(keys) do
			say("", k, args[k])
		end
	end
end

-- Prints packages until the response to session `want` (or the end).
local function wait_response(want)
	while true do
		local v = read_package()
		if not v then
			say("closed")
			return
		end
		local t, a, b = host:dispatch(v)
		if t == "REQUEST" then
			say("REQUEST", a)
			print_fields(b)
		else
			say("RESPONSE", a)
			print_fields(b)
			if a == want then
				return
			end
		end
	end
end

skynet.start(function()
	local port = tonumber(skynet.getenv "example_port") or 8888
	local ok, err = pcall(function()
		fd = assert(socket.open("127.0.0.1", port))
		send_request("handshake")
		wait_response(session)
		send_request("set", { what = "hello", value = "world" })
		send_request("get", { what = "hello" })
		wait_response(session)
		for word in (skynet.getenv "client_gets" or ""):gmatch "%S+" do
			send_request("get", { what = word })
			wait_response(session)
		end
		send_request("quit")
		wait_response(-1)	-- until the server closes the connection
	end)
	if not ok then
		say("error", err)
	end
	say("client done")
	skynet.abort()
end)
