-- The gate of the example (snax.msgserver): one msgagent per logged-in
-- user, requests relayed to it as "client" messages.
local msgserver = require "snax.msgserver"
local skynet = require "skynet"

local loginservice = tonumber(...)

local server = {}
local users = {}	-- uid -> user
local username_map = {}	-- username -> user
local internal_id = 0
local servername

-- called by the login server, which allows one login at a time per user
function server.login_handler(uid, secret)
	if users[uid] then
		error(string.format("%s is already login", uid))
	end
	internal_id = internal_id + 1
	local id = internal_id
	local username = msgserver.username(uid, id, servername)
	local agent = skynet.newservice "msgagent"
	local u = { username = username, agent = agent, uid = uid, subid = id }
	skynet.call(agent, "lua", "login", uid, id, secret)
	users[uid] = u
	username_map[username] = u
	msgserver.login(username, secret)
	return id	-- the subid, unique on this gate
end

-- called by the agent
function server.logout_handler(uid, subid)
	local u = users[uid]
	if u then
		assert(u.username == msgserver.username(uid, subid, servername))
		msgserver.logout(u.username)
		users[uid] = nil
		username_map[u.username] = nil
		skynet.call(loginservice, "lua", "logout", uid, subid)
	end
end

-- called by the login server
function server.kick_handler(uid, subid)
	local u = users[uid]
	if u then
		assert(u.username == msgserver.username(uid, subid, servername))
		pcall(skynet.call, u.agent, "lua", "logout")	-- the agent may exit meanwhile
	end
end

-- the client's connection broke; it may come back
function server.disconnect_handler(username)
	local u = username_map[username]
	if u then
		skynet.call(u.agent, "lua", "afk")
	end
end

function server.request_handler(username, msg)
	local u = username_map[username]
	return skynet.tostring(skynet.rawcall(u.agent, "client", msg))
end

function server.register_handler(name)
	servername = name
	skynet.call(loginservice, "lua", "register_gate", servername, skynet.self())
end

msgserver.start(server)
