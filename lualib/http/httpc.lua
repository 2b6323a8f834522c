-- HTTP/1.1 client: one connection per request, http:// and https://,
-- IPv4, IPv6 ("[::1]:8080") and host names (optionally through skynet.dns).
local skynet = require "skynet"
local socket = require "http.sockethelper"
local internal = require "http.internal"

local string = string
local table = table
local pcall = pcall
local error = error
local pairs = pairs
local tonumber = tonumber

local httpc = {}

-- Set httpc.timeout (centiseconds) to bound connecting and each request.
httpc.timeout = nil

local dns -- skynet.dns, once httpc.dns() asked for it

-- Resolve host names through skynet.dns (server, port) instead of the
-- socket thread's getaddrinfo.
function httpc.dns(server, port)
	dns = require "skynet.dns"
	dns.server(server, port)
end

local default_port = { http = 80, https = 443 }

local function is_ipv4(h)
	return h:find "^%d+%.%d+%.%d+%.%d+$" ~= nil
end

-- "host", "host:port", "[v6]", "[v6]:port" -> address, port|nil, kind
local function split_host(host)
	local v6, port = host:match "^%[([^%]]+)%]:?(%d*)$"
	if v6 then
		return v6, tonumber(port), "ipv6"
	end
	local _, colons = host:gsub(":", "")
	if colons > 1 then
		error(string.format("Invalid host: bare IPv6 address '%s', use '[%s]' instead", host, host))
	end
	local name, p = host:match "^(.-):(%d+)$"
	if name then
		host, port = name, tonumber(p)
	end
	return host, port, is_ipv4(host) and "ipv4" or "hostname"
end

-- "https://host:port" -> protocol, address, port, kind, Host header
local function split_url(target)
	local protocol, rest = target:match "^(%a+)://(.*)$"
	if protocol then
		protocol = protocol:lower()
	else
		protocol, rest = "http", target
	end
	local address, port, kind = split_host(rest)
	port = port or default_port[protocol]
	if not port then
		error("Invalid protocol: " .. protocol)
	end
	return protocol, address, port, kind, rest
end

local client_ctx -- one TLS client context for every https connection

local function tls_interface(fd, servername)
	local tls = require "http.tlshelper"
	client_ctx = client_ctx or tls.newctx()
	local conn = tls.newtls("client", client_ctx, servername)
	return {
		init = tls.init_requestfunc(fd, conn),
		close = tls.closefunc(conn),
		read = tls.readfunc(fd, conn),
		write = tls.writefunc(fd, conn),
		readall = tls.readallfunc(fd, conn),
	}
end

local function plain_interface(fd)
	return {
		read = socket.readfunc(fd),
		write = socket.writefunc(fd),
		readall = function()
			return socket.readall(fd)
		end,
	}
end

local function connect(target, timeout)
	local protocol, address, port, kind, hostheader = split_url(target)
	local servername = kind == "hostname" and address or nil
	if servername and dns then
		local ip, err = dns.resolve(address)
		if not ip then
			error(string.format("%s dns resolve failed msg:%s", address, err))
		end
		address = ip
	end
	local ok, fd = pcall(socket.connect, address, port, timeout)
	if not ok then
		error(string.format("%s connect error host:%s, port:%s, timeout:%s", protocol, address, port,
			tostring(timeout)))
	end
	local interface
	if protocol == "https" then
		interface = tls_interface(fd, servername)
	else
		interface = plain_interface(fd)
	end
	if timeout then
		skynet.timeout(timeout, function()
			if not interface.finish then
				-- wakes the reader with an error; the request path closes fd
				socket.shutdown(fd)
			end
		end)
	end
	if interface.init then
		local done, err = pcall(interface.init, servername)
		if not done then
			socket.close(fd)
			interface.close()
			error(err)
		end
	end
	return fd, interface, hostheader
end

local function finish(interface, fd)
	interface.finish = true
	socket.close(fd)
	if interface.close then
		interface.close()
		interface.close = nil
	end
end

-- request(method, host, url [, recvheader [, header [, content]]]) ->
-- status, body. recvheader, when given, receives the response fields.
function httpc.request(method, host, url, recvheader, header, content)
	local fd, interface, hostheader = connect(host, httpc.timeout)
	local ok, code, body, resp_header = pcall(internal.request, interface, method, hostheader, url,
		recvheader, header, content)
	if ok then
		ok, body = pcall(internal.response, interface, code, body, resp_header)
	end
	finish(interface, fd)
	if not ok then
		error(body or code)
	end
	return code, body
end

function httpc.head(host, url, recvheader, header, content)
	local fd, interface, hostheader = connect(host, httpc.timeout)
	local ok, code = pcall(internal.request, interface, "HEAD", hostheader, url, recvheader, header, content)
	finish(interface, fd)
	if not ok then
		error(code)
	end
	return code
end

-- request_stream(...) -> stream: `for piece in stream do ... end`, or
-- stream:padding() until nil; stream.status, stream.header, stream:close().
function httpc.request_stream(method, host, url, recvheader, header, content)
	local fd, interface, hostheader = connect(host, httpc.timeout)
	local ok, code, body, resp_header = pcall(internal.request, interface, method, hostheader, url,
		recvheader, header, content)
	interface.finish = true -- the stream may outlive the timeout
	if not ok then
		finish(interface, fd)
		error(code)
	end
	local s = internal.response_stream(interface, code, body, resp_header)
	s._onclose = function()
		finish(interface, fd)
	end
	return s
end

function httpc.get(...)
	return httpc.request("GET", ...)
end

local function escape(s)
	return (string.gsub(s, "([^A-Za-z0-9_])", function(c)
		return string.format("%%%02X", string.byte(c))
	end))
end

-- post(host, url, form [, recvheader]): form is sent urlencoded.
function httpc.post(host, url, form, recvheader)
	local body = {}
	for k, v in pairs(form) do
		body[#body + 1] = escape(k) .. "=" .. escape(v)
	end
	local header = { ["content-type"] = "application/x-www-form-urlencoded" }
	return httpc.request("POST", host, url, recvheader, header, table.concat(body, "&"))
end

return httpc
