-- Driven by test/node/http.sh. Serves HTTP, HTTPS, WS and WSS on the ports
-- the config names (for curl and Python clients), then runs our httpc,
-- websocket client and dns against the Python servers and dnsmasq.
local skynet = require "skynet"
local socket = require "skynet.socket"
local httpd = require "http.httpd"
local httpc = require "http.httpc"
local sockethelper = require "http.sockethelper"
local websocket = require "http.websocket"
local dns = require "skynet.dns"

local BODY_LIMIT = 11 * 1024 * 1024

local function port(key)
	return (assert(tonumber(skynet.getenv(key)), key))
end

local function say(s)
	print(s)
end

---------------------------------------------------------------- servers

local server_ctx
local function interface(id, protocol)
	if protocol == "http" then
		return { read = sockethelper.readfunc(id), write = sockethelper.writefunc(id) }
	end
	local tls = require "http.tlshelper"
	if not server_ctx then
		server_ctx = tls.newctx()
		server_ctx:set_cert(skynet.getenv "certfile", skynet.getenv "keyfile")
	end
	local conn = tls.newtls("server", server_ctx)
	return {
		init = tls.init_responsefunc(id, conn),
		close = tls.closefunc(conn),
		read = tls.readfunc(id, conn),
		write = tls.writefunc(id, conn),
	}
end

local function route(url, method, header, body)
	if url == "/chunked" then
		local i = 0
		return function()
			i = i + 1
			if i <= 3 then
				return "piece" .. i .. ";"
			end
		end
	elseif method == "POST" or method == "PUT" then
		return string.format("%s len=%d head=%s tail=%s te=%s", method, #body, body:sub(1, 8), body:sub(-8),
			tostring(header["transfer-encoding"]))
	end
	return "hello " .. url
end

local function serve_http(id, protocol, addr)
	socket.start(id)
	local io = interface(id, protocol)
	if io.init then
		local ok, err = pcall(io.init)
		if not ok then
			skynet.error(string.format("https %s: handshake failed: %s", addr, tostring(err)))
			socket.close(id)
			return
		end
	end
	while true do
		local code, url, method, header, body = httpd.read_request(io.read, BODY_LIMIT)
		if not code then
			if url ~= sockethelper.socket_error then
				skynet.error(string.format("http %s: bad request: %s", addr, tostring(url)))
			end
			break
		end
		if code ~= 200 then
			skynet.error(string.format("http %s: refused with %d", addr, code))
			httpd.write_response(io.write, code, "")
			break
		end
		local ok = httpd.write_response(io.write, 200, route(url, method, header, body),
			{ ["x-served-by"] = "skynet" })
		if not ok or (header.connection or ""):lower() == "close" then
			break
		end
	end
	socket.close(id)
	if io.close then
		io.close()
	end
end

local ws_handle = {}
function ws_handle.message(id, msg, kind)
	if msg == "real-ip?" then
		websocket.write(id, tostring(websocket.real_ip(id)))
	else
		websocket.write(id, msg, kind)
	end
end
function ws_handle.ping(id)
	skynet.error("WS PING " .. id)
end
function ws_handle.close(id, code, reason)
	skynet.error(string.format("WS CLOSE %s %s", tostring(code), tostring(reason)))
end

local function listen(key, accept)
	local id = socket.listen("127.0.0.1", port(key))
	socket.start(id, function(fd, addr)
		skynet.fork(accept, fd, addr)
	end)
end

local function start_servers()
	listen("http_port", function(fd, addr) serve_http(fd, "http", addr) end)
	listen("https_port", function(fd, addr) serve_http(fd, "https", addr) end)
	local limits = { max_message = 2 * 1024 * 1024 }
	for _, p in ipairs { "ws", "wss" } do
		listen(p .. "_port", function(fd, addr)
			local ok, err = websocket.accept(fd, ws_handle, p, addr, limits)
			if not ok then
				skynet.error("websocket accept: " .. tostring(err))
			end
		end)
	end
end

---------------------------------------------------------------- clients

local function case(name, fn)
	local ok, err = pcall(fn)
	if ok then
		say("PASS " .. name)
	else
		say("FAIL " .. name .. ": " .. tostring(err))
	end
end

local function eq(a, b, what)
	if a ~= b then
		error(string.format("%s: expected %q, got %q", what, tostring(b), tostring(a)), 2)
	end
end

local function httpc_cases(scheme, p)
	local host = scheme .. "://127.0.0.1:" .. p
	case(scheme .. " httpc.get against python", function()
		local recv = {}
		local code, body = httpc.get(host, "/hello", recv)
		eq(code, 200, "code")
		eq(body, "GET /hello host=127.0.0.1:" .. p, "body")
		eq(recv["x-peer"], "python", "response header")
		code, body = httpc.get(host, "/missing")
		eq(code, 404, "404")
		eq(body, "nope", "404 body")
	end)
	case(scheme .. " httpc.post and a large request/response", function()
		local code, body = httpc.post(host, "/form", { k = "v w" })
		eq(code, 200, "code")
		eq(body, "POST application/x-www-form-urlencoded k=v%20w", "body")
		local big = string.rep("abcdefgh", 256 * 1024)
		code, body = httpc.request("POST", host, "/raw", nil, { ["content-type"] = "x/y" }, big)
		eq(#body, #"POST x/y " + #big, "2 MiB posted")
		code, body = httpc.get(host, "/big/3000000")
		eq(#body, 3000000, "3 MB response")
		eq(body:byte(252), 0, "content")
	end)
	case(scheme .. " httpc: chunked, until-close, head, request_stream", function()
		local recv = {}
		local code, body = httpc.get(host, "/chunked", recv)
		eq(body, "alpha-beta-gamma", "chunked body")
		eq(recv["x-trailer"], "done", "trailer")
		code, body = httpc.get(host, "/until-close")
		eq(body, "no length, ends at close", "body ends at close")
		eq(httpc.head(host, "/"), 204, "head")
		local s = httpc.request_stream("GET", host, "/chunked")
		local got = {}
		for piece in s do
			got[#got + 1] = piece
		end
		eq(table.concat(got, "|"), "alpha-|beta-|gamma", "stream pieces")
		s = httpc.request_stream("GET", host, "/big/100000")
		local n = 0
		for piece in s do
			n = n + #piece
		end
		eq(n, 100000, "sized stream")
	end)
	case(scheme .. " httpc: chunked request body", function()
		local code, body = httpc.request("POST", host, "/c", nil, { ["transfer-encoding"] = "chunked" },
			"5\r\nhello\r\n0\r\n\r\n")
		eq(code, 200, "code")
		eq(body, "POST  hello", "body")
	end)
end

local function websocket_cases(scheme, p)
	case(scheme .. " websocket client against python", function()
		local id = websocket.connect(scheme .. "://127.0.0.1:" .. p .. "/echo")
		websocket.write(id, "hi there")
		local msg, kind = websocket.read(id)
		eq(msg, "hi there", "text")
		eq(kind, "text", "text type")
		local blob = string.rep("\0\255", 300000)
		websocket.write(id, blob, "binary")
		msg, kind = websocket.read(id)
		eq(msg == blob, true, "600 KB binary")
		eq(kind, "binary", "binary type")
		websocket.ping(id)
		websocket.write(id, "close-me")
		local ok, reason, code = websocket.read(id)
		eq(ok, false, "closed")
		eq(code, 4000, "close code")
		eq(reason, "closing as asked", "close reason")
		eq(websocket.is_close(id), true, "is_close")
	end)
end

local function dns_cases(p)
	case("dns against dnsmasq: A, AAAA, several answers", function()
		dns.server("127.0.0.1", p)
		eq(dns.resolve("web.test"), "127.0.0.1", "A")
		local first, all = dns.resolve("multi.test")
		eq(#all, 2, "two A records")
		eq(first == "10.0.0.1" or first == "10.0.0.2", true, "first of them")
		eq(dns.resolve("web6.test", true), "fd00:0:0:0:0:0:0:1", "AAAA")
	end)
	case("httpc.dns resolves host names through skynet.dns", function()
		httpc.dns("127.0.0.1", p)
		local code, body = httpc.get("web.test:" .. port("peer_http"), "/named")
		eq(code, 200, "code")
		eq(body, "GET /named host=web.test:" .. port("peer_http"), "Host header keeps the name")
	end)
	case("dns: TTL cache, flush, timeout error, unknown name", function()
		dns.resolve("web.test")
		dns.server("127.0.0.1", port("dead_port")) -- nothing answers there
		eq(dns.resolve("web.test"), "127.0.0.1", "served from the cache")
		dns.flush()
		dns.TIMEOUT = 100
		local t0 = skynet.now()
		local ok, err = pcall(dns.resolve, "web.test")
		eq(ok, false, "no answer after flush")
		eq(tostring(err):find("timeout or no answer", 1, true) ~= nil, true, "error text: " .. tostring(err))
		eq(skynet.now() - t0 >= 90 and skynet.now() - t0 < 400, true, "took the timeout")
		dns.server("127.0.0.1", p)
		ok, err = pcall(dns.resolve, "unknown.test")
		eq(ok, false, "unknown name fails")
	end)
end

skynet.start(function()
	start_servers()
	say("READY")
	httpc_cases("http", port("peer_http"))
	httpc_cases("https", port("peer_https"))
	websocket_cases("ws", port("peer_ws"))
	websocket_cases("wss", port("peer_wss"))
	dns_cases(port("dns_port"))
	say("CLIENT DONE")
end)
