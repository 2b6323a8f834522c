-- Redis client on socketchannel (order mode: redis answers in request order).
--   local db = redis.connect { host, port, db, auth, username, overload, timeout }
--   db:set("k", "v"); db:get "k"; db:hmset("h", { "a", 1, "b", 2 }) ...
-- Any method name is a redis command. An error reply raises a Lua error with
-- redis's message; a nil bulk reply returns nil.
local socketchannel = require "skynet.socketchannel"
local resp = require "skynet.db.redis.resp"

local read_reply = resp.read
local compose = resp.command
local select = select
local type = type
local pairs = pairs

local redis = {}

local command = {}
local meta = { __index = command }	-- no __gc: the caller owns the connection

-- AUTH [username] password, then SELECT db: run on every (re)connection
local function login(conf)
	local password, db = conf.auth, conf.db
	if password == nil and db == nil then
		return nil
	end
	local auth_args = password and (conf.username and { conf.username, password } or { password })
	return function(channel)
		if auth_args then
			channel:request(compose("AUTH", auth_args, #auth_args), read_reply)
		end
		if db then
			channel:request(compose("SELECT", { db }, 1), read_reply)
		end
	end
end

-- Remembers why the last login failed: socketchannel only logs it, and
-- connect should raise redis's own message (e.g. WRONGPASS).
local function recording(auth, state)
	if auth == nil then
		return nil
	end
	return function(channel)
		local ok, err = pcall(auth, channel)
		if not ok then
			state.failure = err
			error(err, 0)
		end
	end
end

local function open_channel(conf, auth, state)
	return socketchannel.channel {
		host = conf.host or "127.0.0.1",
		port = conf.port or 6379,
		auth = recording(auth, state),
		nodelay = true,
		overload = conf.overload,
		timeout = conf.timeout,
	}
end

-- Connect once now, so a missing server or a refused login fails here.
local function connect_now(channel, state)
	local ok, err = pcall(channel.connect, channel, true)
	if not ok then
		channel:close()
		error(state.failure or err, 0)
	end
end

function redis.connect(conf)
	local state = {}
	local channel = open_channel(conf, login(conf), state)
	connect_now(channel, state)
	return setmetatable({ channel }, meta)
end

function command:disconnect()
	self[1]:close()
	setmetatable(self, nil)
end

-- db:cmd() / db:cmd(a, b, ...) / db:cmd { a, b, ... }
setmetatable(command, { __index = function(t, name)
	local NAME = name:upper()
	local function f(self, first, ...)
		local msg
		if first == nil then
			msg = compose(NAME, nil, 0)
		elseif type(first) == "table" then
			msg = compose(NAME, first, first.n or #first)
		elseif select("#", ...) == 0 then
			msg = compose(NAME, { first }, 1)
		else
			local args = { first, ... }
			msg = compose(NAME, args, select("#", ...) + 1)
		end
		return self[1]:request(msg, read_reply)
	end
	t[name] = f
	return f
end })

local function read_boolean(sock)
	local ok, v = read_reply(sock)
	if not ok then
		return ok, v
	end
	return ok, v ~= 0 and v ~= false
end

function command:exists(key)
	return self[1]:request(compose("EXISTS", { key }, 1), read_boolean)
end

function command:sismember(key, member)
	return self[1]:request(compose("SISMEMBER", { key, member }, 2), read_boolean)
end

-- ops: { { "cmd", args... }, ... } sent at once. With resp (a table), each
-- reply is appended to it as { ok = ok, out = value } and resp is returned;
-- without, the last reply is returned (or raised, if it is an error).
function command:pipeline(ops, results)
	local n = #ops
	assert(n > 0, "pipeline is null")
	local out = {}
	local i = 1
	for k = 1, n do
		i = resp.append(out, i, ops[k])
	end
	local reader
	if results then
		reader = function(sock)
			local base = #results
			for k = 1, n do
				local ok, v = read_reply(sock)
				results[base + k] = { ok = ok, out = v }
			end
			return true, results
		end
	else
		reader = function(sock)
			local ok, v
			for _ = 1, n do
				ok, v = read_reply(sock)
			end
			return ok, v
		end
	end
	return self[1]:request(out, reader)
end

--- watch mode: a connection of its own for SUBSCRIBE / PSUBSCRIBE

local watch = {}
local watchmeta = {
	__index = watch,
	__gc = function(self)
		self.__sock:close()
	end,
}

-- after a reconnection the subscriptions are made again
local function watch_login(conf, obj)
	local auth = login(conf)
	return function(channel)
		if auth then
			auth(channel)
		end
		for pattern in pairs(obj.__psubscribe) do
			channel:request(compose("PSUBSCRIBE", { pattern }, 1))
		end
		for name in pairs(obj.__subscribe) do
			channel:request(compose("SUBSCRIBE", { name }, 1))
		end
	end
end

function redis.watch(conf)
	local obj = { __subscribe = {}, __psubscribe = {} }
	local state = {}
	local channel = open_channel(conf, watch_login(conf, obj), state)
	obj.__sock = channel
	connect_now(channel, state)
	return setmetatable(obj, watchmeta)
end

function watch:disconnect()
	self.__sock:close()
	setmetatable(self, nil)
end

local track = {
	subscribe = function(self, name) self.__subscribe[name] = true end,
	psubscribe = function(self, name) self.__psubscribe[name] = true end,
	unsubscribe = function(self, name) self.__subscribe[name] = nil end,
	punsubscribe = function(self, name) self.__psubscribe[name] = nil end,
}

-- The sets of subscriptions to restore on reconnection change as soon as
-- the request is sent (a confirmation may be lost with the connection), and
-- again when a confirmation arrives through message().
local function subscriber(name)
	local NAME = name:upper()
	local remember = track[name]
	return function(self, ...)
		local channel = self.__sock
		for i = 1, select("#", ...) do
			local v = select(i, ...)
			remember(self, v)
			channel:request(compose(NAME, { v }, 1))
		end
	end
end

watch.subscribe = subscriber "subscribe"
watch.psubscribe = subscriber "psubscribe"
watch.unsubscribe = subscriber "unsubscribe"
watch.punsubscribe = subscriber "punsubscribe"

-- -> data, channel  or  data, channel, pattern (for a pattern subscription)
function watch:message()
	local channel = self.__sock
	while true do
		local m = channel:response(read_reply)
		local kind = m[1]
		if kind == "message" then
			return m[3], m[2]
		elseif kind == "pmessage" then
			return m[4], m[3], m[2]
		end
		local f = track[kind]
		if f then
			f(self, m[2])
		end
	end
end

return redis
