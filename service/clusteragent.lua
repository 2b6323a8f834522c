-- clusteragent <clusterd> <gate> <fd> [remote address]
-- Serves one inbound cluster connection. The gate forwards each packet of
-- fd here as a PTYPE_CLIENT message (session = fd); the agent calls the
-- addressed service and writes the response straight to fd. With a
-- cluster_secret, the peer must first pass the handshake of
-- skynet.cluster.auth: until then its one packet is the proof.
local skynet = require "skynet"
local socket = require "skynet.socket"
local core = require "skynet.cluster.core"
local auth = require "skynet.cluster.auth"

local clusterd, gate, fd, remote = ...
clusterd = tonumber(clusterd)
gate = tonumber(gate)
fd = tonumber(fd)
remote = remote or "fd " .. tostring(fd)

local packresponse = core.packresponse_msg
local isname = core.isname
local new_assembly = core.assembly
local assemble = core.assemble
local assembled = core.assembled
local rawcall = skynet.rawcall
local rawsend = skynet.rawsend
local ignoreret = skynet.ignoreret
local write = socket.write
local lwrite = socket.lwrite

---------------------------------------------------------------------------
-- "@name" -> handle, asked from clusterd once and cached until a name
-- changes (clusterd then sends "namechange").

local names
local querying = {}	-- "@name" -> coroutines waiting for the same answer

local function query_name(cache, name)
	local waiters = querying[name]
	if waiters then
		waiters[#waiters + 1] = coroutine.running()
		skynet.wait()
		return rawget(cache, name)
	end
	waiters = {}
	querying[name] = waiters
	local ok, addr = pcall(skynet.call, clusterd, "lua", "queryname", name:sub(2))
	querying[name] = nil
	if ok and addr then
		cache[name] = addr
	end
	for _, co in ipairs(waiters) do
		skynet.wakeup(co)
	end
	return ok and addr or nil
end

local names_meta = { __index = query_name }

local function forget_names()
	names = setmetatable({}, names_meta)
end
forget_names()

---------------------------------------------------------------------------
-- Requests

-- A packet that does not decode means the peer does not speak the cluster
-- protocol (or lost track of it): log it and drop the connection.
local invalid = {}

-- A part's payload is not copied out of the gate's message: it is appended
-- to its request before the dispatch returns, which is as long as it lives.
local unpackrequest = core.unpackrequest_borrow

local function check(ok, ...)
	if ok then
		return ...
	end
	return invalid, ...
end

local secret = auth.secret()
-- with a secret: true until the challenge goes out, then its nonce until the
-- peer has answered it; nil once passed (or without a secret)
local nonce = secret and true or nil
local handshake = {}

local function unpack_request(msg, sz)
	if nonce then
		return handshake, skynet.tostring(msg, sz)
	end
	return check(pcall(unpackrequest, msg, sz))
end

local function refuse(why)
	skynet.error(string.format("Drop cluster connection %d from %s: cluster auth failed: %s", fd, remote, why))
	skynet.send(gate, "lua", "kick", fd)
end

local function finish_handshake(proof)
	if nonce == true then
		return refuse("spoke before the challenge")
	end
	local reply, err = auth.verify(secret, nonce, proof)
	if reply then
		nonce = nil
		socket.write(fd, reply)
	else
		refuse(err)
	end
end

local function start_handshake()
	local challenge
	challenge, nonce = auth.challenge()
	socket.write(fd, challenge)
	skynet.timeout(auth.TIMEOUT, function()
		if nonce then
			refuse("no proof in time")
		end
	end)
end

local tracetag	-- tag of a trace packet, for the request that follows it
local large = {}	-- session -> request being reassembled from parts

-- The packets go to the socket in one buffer, which it takes over.
local function reply(session, ok, msg, sz)
	local buf, len, multi = packresponse(session, ok, msg, sz)
	if multi then
		-- a big response goes on the low-priority queue, so that small
		-- ones are not stuck behind it
		lwrite(fd, buf, len)
	else
		write(fd, buf, len)
	end
end

-- address 0: the handle registered under a name (reply skynet.packstring)
local function reply_query(session, msg, sz)
	local ok, name = pcall(skynet.unpack, msg, sz)
	skynet.trash(msg, sz)
	local addr = ok and type(name) == "string" and names["@" .. name]
	if addr then
		reply(session, true, skynet.packstring(addr))
	else
		reply(session, false, "name not found")
	end
end

local function dispatch_request(_, _, addr, session, msg, sz, padding, is_push)
	ignoreret()	-- the session is the fd: answers go to the socket, not to skynet.ret
	if addr == handshake then
		return finish_handshake(session)
	end
	if addr == invalid then
		skynet.error(string.format("Drop cluster connection %d: %s", fd, tostring(session)))
		skynet.send(gate, "lua", "kick", fd)
		return
	end
	if session == nil then
		tracetag = addr	-- a trace packet: its tag applies to the next request
		return
	end
	if padding then
		-- header or a middle part of a multi-part request
		local req = large[session]
		if not req then
			req = { addr = addr, is_push = is_push, tracetag = tracetag, parts = new_assembly() }
			large[session] = req
			tracetag = nil
		end
		assemble(req.parts, msg, sz)
		return
	end
	local req = large[session]
	if req then
		-- the last part
		large[session] = nil
		assemble(req.parts, msg, sz)
		msg, sz = assembled(req.parts)
		addr, is_push, tracetag = req.addr, req.is_push, req.tracetag
	elseif addr == false then
		-- the last part of a request that never began (msg is borrowed)
		msg = nil
	end
	if not msg then
		tracetag = nil
		if not is_push then
			reply(session, false, "Invalid large req")
		end
		return
	end
	if addr == 0 then
		tracetag = nil
		return reply_query(session, msg, sz)
	end
	if isname(addr) then
		addr = names[addr]
		if not addr then
			tracetag = nil
			skynet.trash(msg, sz)
			if not is_push then
				reply(session, false, "Invalid name")
			end
			return
		end
	end
	if is_push then
		tracetag = nil
		rawsend(addr, "lua", msg, sz)
		return
	end
	local tag = tracetag
	local ok, rmsg, rsz
	if tag then
		tracetag = nil
		ok, rmsg, rsz = pcall(skynet.tracecall, tag, addr, "lua", msg, sz)
	else
		ok, rmsg, rsz = pcall(rawcall, addr, "lua", msg, sz)
	end
	if ok then
		reply(session, true, rmsg, rsz)
	else
		reply(session, false, tostring(rmsg))
	end
end

skynet.start(function()
	skynet.register_protocol {
		name = "client",
		id = skynet.PTYPE_CLIENT,
		unpack = unpack_request,
		dispatch = dispatch_request,
	}
	-- Packets come through the gate; the agent only writes to fd. forward
	-- fails if the connection is already gone, and clusterd then tells this
	-- agent to exit.
	pcall(skynet.call, gate, "lua", "forward", fd)
	if secret then
		-- after forward: the gate starts the socket there, writes before it are lost
		start_handshake()
	end
	skynet.dispatch("lua", function(_, source, cmd)
		if cmd == "exit" then
			socket.close_fd(fd)
			skynet.exit()
		elseif cmd == "namechange" then
			forget_names()
		else
			skynet.error(string.format("Invalid command %s from %s", tostring(cmd), skynet.address(source)))
		end
	end)
end)
