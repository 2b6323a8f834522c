-- An asynchronous DNS stub resolver for skynet services: A and AAAA queries
-- over UDP to one server, /etc/hosts first, answers cached for their TTL.
--   dns.server([ip [, port]])   default: first nameserver of /etc/resolv.conf
--   dns.resolve(name [, ipv6])  -> ip, { ip, ... }  (blocks this coroutine)
--   dns.flush()                 forget cached answers
local skynet = require "skynet"
local socket = require "skynet.socket"

local string = string
local table = table
local pcall = pcall
local error = error
local coroutine = coroutine
local pairs = pairs
local tostring = tostring

local dns = {}

dns.DEFAULT_HOSTS = "/etc/hosts"
dns.DEFAULT_RESOLV_CONF = "/etc/resolv.conf"
dns.TIMEOUT = 30 * 100 -- centiseconds a query may wait for its answer

local QTYPE_A, QTYPE_CNAME, QTYPE_AAAA = 1, 5, 28
local QCLASS_IN = 1
local HEADER_LEN = 12
local MAX_NAME_LEN = 253
local MAX_LABEL_LEN = 63
local MAX_POINTERS = 32 -- compression jumps in one name (loops are malformed)

local cache = {} -- qtype -> name -> { answers = {...}, expire = cs }
local pending = {} -- tid -> request
local hosts -- name -> { ipv4 = {...}, ipv6 = {...} }, read once
local server = { address = nil, port = 53, fd = nil }

local function name_kind(name)
	if name:find "^[%d%.]+$" then
		return "ipv4"
	elseif name:find ":" then
		return "ipv6"
	end
	return "hostname"
end

local function read_hosts()
	local t = {}
	local f = dns.DEFAULT_HOSTS and io.open(dns.DEFAULT_HOSTS)
	if not f then
		return t
	end
	for line in f:lines() do
		local ip, names = line:match "^%s*([%x%.:%%]+)%s+([^#]+)"
		local kind = ip and name_kind(ip)
		if kind and kind ~= "hostname" then
			for name in names:gmatch "%S+" do
				name = name:lower()
				local entry = t[name] or {}
				t[name] = entry
				entry[kind] = entry[kind] or {}
				table.insert(entry[kind], ip)
			end
		end
	end
	f:close()
	return t
end

local function read_resolv_conf()
	local f = dns.DEFAULT_RESOLV_CONF and io.open(dns.DEFAULT_RESOLV_CONF)
	if not f then
		return
	end
	local found
	for line in f:lines() do
		found = line:match "^%s*nameserver%s+([^#;%s]+)"
		if found then
			break
		end
	end
	f:close()
	return found
end

function dns.flush()
	cache[QTYPE_A] = {}
	cache[QTYPE_AAAA] = {}
end
dns.flush()

function dns.server(address, port)
	if server.fd then
		socket.close(server.fd)
		server.fd = nil
	end
	server.address = address
	server.port = port or 53
end

local function valid_name(name)
	if #name > MAX_NAME_LEN or not name:find "^[_%l%d%-%.]+$" then
		return false
	end
	for label in name:gmatch "[^%.]+" do
		if #label > MAX_LABEL_LEN then
			return false
		end
	end
	return not name:find("..", 1, true)
end

local next_tid = 0
local function new_tid()
	for _ = 1, 65535 do
		next_tid = next_tid % 65535 + 1
		if not pending[next_tid] then
			return next_tid
		end
	end
	error "too many DNS queries in flight"
end

local function encode_query(tid, name, qtype)
	local parts = { string.pack(">I2I2I2I2I2I2", tid, 0x100, 1, 0, 0, 0) } -- RD: recursion desired
	for label in name:gmatch "[^%.]+" do
		parts[#parts + 1] = string.char(#label) .. label
	end
	parts[#parts + 1] = string.pack(">BI2I2", 0, qtype, QCLASS_IN)
	return table.concat(parts)
end

-- A (possibly compressed) name at `pos`: the name and the position after it.
local function decode_name(packet, pos)
	local labels = {}
	local after
	for _ = 1, MAX_POINTERS do
		local len = packet:byte(pos)
		if not len then
			error "name past the end"
		end
		if len >= 0xC0 then
			local low = packet:byte(pos + 1)
			if not low then
				error "pointer past the end"
			end
			after = after or pos + 2
			pos = (len - 0xC0) * 256 + low + 1
		elseif len >= 0x40 then
			error "bad label type"
		elseif len == 0 then
			return table.concat(labels, "."), after or pos + 1
		else
			local label = packet:sub(pos + 1, pos + len)
			if #label ~= len then
				error "label past the end"
			end
			labels[#labels + 1] = label:lower()
			pos = pos + len + 1
		end
	end
	error "too many compression pointers"
end

local function format_rdata(qtype, rdata)
	if qtype == QTYPE_A and #rdata == 4 then
		return string.format("%d.%d.%d.%d", rdata:byte(1, 4))
	elseif qtype == QTYPE_AAAA and #rdata == 16 then
		return string.format("%x:%x:%x:%x:%x:%x:%x:%x", string.unpack(">I2I2I2I2I2I2I2I2", rdata))
	end
	error "bad address length"
end

-- Decodes a response: tid, question name, { [qtype] = { ips } }, min TTL.
local function decode_response(packet)
	if #packet < HEADER_LEN then
		error "short packet"
	end
	local tid, _, qdcount, ancount = string.unpack(">I2I2I2I2", packet)
	if qdcount ~= 1 then
		error "malformed packet"
	end
	local qname, pos = decode_name(packet, HEADER_LEN + 1)
	pos = pos + 4 -- qtype, qclass
	local found, ttl = {}, nil
	for _ = 1, ancount do
		local _, at = decode_name(packet, pos)
		if at + 9 > #packet then
			error "answer past the end"
		end
		local atype, _, rttl, rdlen = string.unpack(">I2I2I4I2", packet, at)
		local rdata = packet:sub(at + 10, at + 9 + rdlen)
		if #rdata ~= rdlen then
			error "rdata past the end"
		end
		if atype == QTYPE_A or atype == QTYPE_AAAA then
			local list = found[atype] or {}
			found[atype] = list
			list[#list + 1] = format_rdata(atype, rdata)
			ttl = ttl and math.min(ttl, rttl) or rttl
		elseif atype ~= QTYPE_CNAME then
			-- other records (DNAME, RRSIG, ...) carry nothing we return
		end
		pos = at + 10 + rdlen
	end
	return tid, qname, found, ttl
end

-- for the fuzz target and tests: decode without a server or the cache
dns._decode_response = decode_response

local function on_packet(packet)
	local ok, tid, qname, found, ttl = pcall(decode_response, packet)
	if not ok then
		skynet.error("Recv an invalid package when dns query: " .. tostring(tid))
		return
	end
	local expire = skynet.now() + (ttl or 0) * 100
	for qtype, list in pairs(found) do
		cache[qtype][qname] = { answers = list, expire = expire }
	end
	local req = pending[tid]
	if not req then
		return -- answered after its timeout
	end
	if req.name ~= qname then
		skynet.error("Recv an invalid name when dns query: " .. qname)
		return
	end
	req.answers = found[req.qtype]
	pending[tid] = nil
	skynet.wakeup(req.co)
end

local function server_fd()
	if server.fd then
		return server.fd
	end
	if not server.address then
		server.address = read_resolv_conf()
	end
	assert(server.address, "Call dns.server first")
	local fd = socket.udp(function(packet)
		on_packet(packet)
	end)
	local ok, err = pcall(socket.udp_connect, fd, server.address, server.port)
	if not ok then
		socket.close(fd)
		error(err)
	end
	server.fd = fd
	return fd
end

local function cached(name, qtype, stale_ok)
	local entry = cache[qtype][name]
	if entry and (stale_ok or entry.expire > skynet.now()) then
		return entry.answers
	end
end

local function query(name, qtype)
	local answers = cached(name, qtype)
	if answers then
		return answers[1], answers
	end
	local tid = new_tid()
	local req = { name = name, qtype = qtype, co = coroutine.running() }
	pending[tid] = req
	socket.write(server_fd(), encode_query(tid, name, qtype))
	skynet.timeout(dns.TIMEOUT, function()
		if pending[tid] == req then
			skynet.error(string.format("DNS query %s timeout", name))
			pending[tid] = nil
			skynet.wakeup(req.co)
		end
	end)
	skynet.wait(req.co)
	answers = req.answers or cached(name, qtype, true)
	if not answers then
		error "timeout or no answer"
	end
	return answers[1], answers
end

-- resolve(name [, ipv6]) -> first address, every address. An IP literal is
-- returned as is; a malformed name gives nil, "illegal name"; no answer in
-- time raises "timeout or no answer".
function dns.resolve(name, ipv6)
	name = name:lower()
	local kind = name_kind(name)
	if kind ~= "hostname" then
		return name -- a literal, whatever family was asked for (as upstream)
	end
	if not valid_name(name) then
		return nil, "illegal name"
	end
	hosts = hosts or read_hosts()
	local entry = hosts[name]
	local listed = entry and entry[ipv6 and "ipv6" or "ipv4"]
	if listed then
		return listed[1], listed
	end
	return query(name, ipv6 and QTYPE_AAAA or QTYPE_A)
end

return dns
