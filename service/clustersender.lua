-- clustersender <node> <nodename> <host:port> | <node> <nodename> <host> <port>
-- One per remote node: sends requests and pushes over one connection
-- (socketchannel, session mode) and hands each response to its caller.
-- When the connection drops, every call in flight fails at once; the next
-- request connects again.
local skynet = require "skynet"
local sc = require "skynet.socketchannel"
local socket = require "skynet.socket"
local core = require "skynet.cluster.core"
local auth = require "skynet.cluster.auth"

local node, nodename, init_host, init_port = ...

local packrequest = core.packrequest_msg
local packpush = core.packpush_batch
local batchmsg = core.batchmsg
local unpackresponse_msg = core.unpackresponse_msg
local responsemsg = core.responsemsg
local header = socket.header

local channel
local down = false	-- set by changenode(false): the node map marks the node down
local session = 1	-- next request session on the wire
local command = {}

-- Pushes are not written one by one: they collect here and go out in one
-- write, after the messages already queued for this service (a burst of
-- cluster.send becomes one socket write). Anything else written to the
-- channel first flushes them, so the order on the wire is the order of the
-- commands.
-- The packets are written into one native buffer (cluster.core batch).
local pushes = core.batch()
local pending = false	-- pushes wait in the batch
local flush_queued = false

local function flush()
	if pending then
		pending = false
		local msg, sz = batchmsg(pushes)
		channel:request_msg(msg, sz)
	end
end

local function flush_later()
	flush_queued = false
	flush()
end

-- What goes out before a request: the pending pushes and its trace tag.
local function before_request(tag)
	flush()
	if tag then
		if tag:sub(1, 1) ~= "(" then
			-- first hop: make the tag name this node and request
			local remote_tag = string.format("(%s-%s-%d)%s", nodename, node, session, tag)
			skynet.tracelog(tag, "session " .. remote_tag)
			tag = remote_tag
		end
		skynet.tracelog(tag, "cluster " .. node)
		channel:request(core.packtrace(tag))
	end
end

local function send_request(addr, msg, sz)
	if down then
		skynet.trash(msg, sz)
		error(string.format("cluster node [%s] is down", node))
	end
	local current = session
	-- packrequest takes over msg (frees it); the request is one buffer,
	-- header and parts, which the socket takes over in turn
	local buf, len, next_session, multi = packrequest(addr, current, msg, sz)
	session = next_session
	local tag = skynet.tracetag()
	if pending or tag then
		local ok, err = pcall(before_request, tag)
		if not ok then
			skynet.trash(buf, len)
			error(err, 0)
		end
	end
	return channel:request_msg(buf, len, current, multi)
end

function command.req(addr, msg, sz)
	local ok, resp = pcall(send_request, addr, msg, sz)
	if ok then
		-- a payload, or those of a multi-part response { total, payload1, ... }
		skynet.ret(responsemsg(resp))
	else
		skynet.error(resp)
		skynet.response()(false)
	end
end

function command.push(addr, msg, sz)
	if down then
		-- as for a node that is down from the start: dropped silently
		skynet.trash(msg, sz)
		return
	end
	local buf, len, next_session = packpush(pushes, addr, session, msg, sz)
	if buf then
		-- a multi-part push uses up a session, and goes out at once
		session = next_session
		if pending then
			local ok, err = pcall(flush)
			if not ok then
				skynet.trash(buf, len)
				error(err, 0)
			end
		end
		channel:request_msg(buf, len, nil, true)
		return
	end
	pending = true
	if not flush_queued then
		flush_queued = true
		skynet.timeout(0, flush_later)
	end
end

-- session, ok, data[, padding]. The body is read into native memory: the
-- data of a successful response is a payload object for responsemsg, never
-- a Lua string.
local function read_response(sock)
	local sz = header(sock:read(2))
	return unpackresponse_msg(sock:readmsg(sz))
end

-- "host:port" (or "[v6]:port") when port is not given separately
local function address(host, port)
	if port then
		return host, tonumber(port)
	end
	local h, p = host:match "^%[?(.-)%]?:(%d+)$"
	if not h then
		error("Invalid cluster node address " .. tostring(host))
	end
	return h, tonumber(p)
end

-- with a cluster_secret, each connection passes skynet.cluster.auth first
local secret = auth.secret()

local function handshake(fd)
	auth.connect(secret, fd)
end

local function new_channel(host, port)
	return sc.channel {
		host = host,
		port = port,
		response = read_response,
		nodelay = true,
		handshake = secret and handshake,
	}
end

-- changenode(host[, port]): connect to a (new) address, raising if it is
-- unreachable; changenode(false): close the channel, so that requests fail
-- until the node is given an address again.
function command.changenode(host, port)
	if not host then
		skynet.error("Close cluster sender", channel.__host, channel.__port)
		down = true
		pushes, pending = core.batch(), false
		channel:close()
	else
		down = false
		channel:changehost(address(host, port))
		-- a failed connect was logged by socketchannel; clusterd sees an error
		if not pcall(channel.connect, channel, true) then
			return skynet.response()(false)
		end
	end
	skynet.ret(skynet.pack(nil))
end

skynet.start(function()
	if init_host then
		channel = new_channel(address(init_host, init_port))
	else
		-- started bare: the first changenode gives the address
		channel = new_channel("127.0.0.1", 0)
	end
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = assert(command[cmd], cmd)
		f(...)
	end)
end)
