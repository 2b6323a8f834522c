-- The login server of the example: a token is
-- base64(user)@base64(server):base64(password), every password but
-- "password" is refused (401), and a user may log in once at a time (406).
local login = require "snax.loginserver"
local crypt = require "skynet.crypt"
local skynet = require "skynet"

local server = {
	host = "127.0.0.1",
	port = tonumber(skynet.getenv "login_port") or 8001,
	multilogin = false,
	name = "login_master",
}

-- For the tests: logins of this user take login_hold seconds, so a second
-- login can arrive while the first is still running.
local hold_user = skynet.getenv "login_hold_user"
local hold_seconds = tonumber(skynet.getenv "login_hold") or 0

local server_list = {}	-- server name -> its gate
local user_online = {}	-- uid -> { address, subid, server }

function server.auth_handler(token)
	local user, servername, password = token:match "([^@]+)@([^:]+):(.+)"
	user = crypt.base64decode(user)
	servername = crypt.base64decode(servername)
	password = crypt.base64decode(password)
	assert(password == "password", "Invalid password")
	return servername, user
end

function server.login_handler(servername, uid, secret)
	print(string.format("%s@%s is login, secret is %s", uid, servername, crypt.hexencode(secret)))
	local gate = assert(server_list[servername], "Unknown server")
	if uid == hold_user then
		skynet.sleep(hold_seconds * 100)
	end
	local last = user_online[uid]
	if last then	-- logged in elsewhere: kick that one out first
		skynet.call(last.address, "lua", "kick", uid, last.subid)
	end
	if user_online[uid] then
		error(string.format("user %s is already online", uid))
	end
	local subid = tostring(skynet.call(gate, "lua", "login", uid, secret))
	user_online[uid] = { address = gate, subid = subid, server = servername }
	return subid
end

local CMD = {}

function CMD.register_gate(servername, address)
	server_list[servername] = address
end

function CMD.logout(uid, subid)
	local u = user_online[uid]
	if u then
		print(string.format("%s@%s is logout", uid, u.server))
		user_online[uid] = nil
	end
end

function server.command_handler(command, ...)
	local f = assert(CMD[command])
	return f(...)
end

login(server)
