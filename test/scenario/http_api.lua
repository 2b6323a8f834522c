-- http.internal / httpd / httpc / url and http.websocket inside one node:
-- parsers on canned bytes, then real connections over loopback.
local skynet = require "skynet"
local socket = require "skynet.socket"
local internal = require "http.internal"
local httpd = require "http.httpd"
local httpc = require "http.httpc"
local urllib = require "http.url"
local sockethelper = require "http.sockethelper"
local websocket = require "http.websocket"
local T = require "testlib"

-- A reader over fixed pieces, as the socket would hand them out.
local function reader(pieces)
	local buf, i = "", 0
	return function(sz)
		while sz and #buf < sz or (not sz and buf == "") do
			i = i + 1
			if not pieces[i] then
				error(sockethelper.socket_error)
			end
			buf = buf .. pieces[i]
		end
		sz = sz or #buf
		local out = buf:sub(1, sz)
		buf = buf:sub(sz + 1)
		return out
	end
end

local function parse_cases()
	T.case("recvheader + parseheader: split reads, folding, repeats", function()
		local lines = {}
		local rest = internal.recvheader(reader { "GET / HTTP/1.1\r\nA: 1\r", "\n\tx\r\nB: 2\r\nb: 3\r\n\r\nBODY" },
			lines, "")
		T.eq(rest, "BODY", "rest")
		T.eq(lines[1], "GET / HTTP/1.1", "request line")
		local h = internal.parseheader(lines, 2, {})
		T.eq(h.a, "1x", "folded")
		T.eq(type(h.b), "table", "repeated field")
		T.eq(h.b[2], "3", "second value")
		T.eq(internal.parseheader({ "no colon here" }, 1, {}), nil, "malformed field")
	end)
	T.case("recvheader refuses a header block past 8 KiB", function()
		local big = { "GET / HTTP/1.1\r\n" }
		for i = 1, 100 do
			big[#big + 1] = "X-" .. i .. ": " .. string.rep("v", 100) .. "\r\n"
		end
		T.eq(internal.recvheader(reader(big), {}, ""), nil, "too large")
	end)
	T.case("chunked body with extensions and trailers; limit; bad sizes", function()
		local h = {}
		local body, h2 = internal.recvchunkedbody(reader { "5;ext=1\r\nhello\r\n", "6\r\n world\r\n0\r\nX-T: 9\r\n\r\n" },
			nil, h, "")
		T.eq(body, "hello world", "body")
		T.eq(h2["x-t"], "9", "trailer")
		T.eq(internal.recvchunkedbody(reader { "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n" }, 8, {}, ""), nil, "limit")
		T.eq(internal.recvchunkedbody(reader { "zz\r\nhello\r\n0\r\n\r\n" }, nil, {}, ""), nil, "bad size")
		T.eq(internal.recvchunkedbody(reader { "1g\r\nh\r\n0\r\n\r\n" }, nil, {}, ""), nil, "junk after size")
		T.eq(internal.recvchunkedbody(reader { "5\r\nhelloXX0\r\n\r\n" }, nil, {}, ""), nil, "missing CRLF")
	end)
	T.case("httpd.read_request: codes for bad requests", function()
		local code, url, method, header, body = httpd.read_request(reader { "POST /a?b=1 HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz" })
		T.eq(code, 200, "code")
		T.eq(url .. method .. body, "/a?b=1POSTxyz", "fields")
		T.eq(header["content-length"], "3", "header")
		T.eq(httpd.read_request(reader { "POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n" }, 10), 413, "over limit")
		T.eq(httpd.read_request(reader { "GET / HTTP/2.0\r\n\r\n" }), 505, "version")
		T.eq(httpd.read_request(reader { "GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n" }), 501, "encoding")
		local nothing, err = httpd.read_request(reader { "garbage\r\n\r\n" })
		T.eq(nothing, nil, "bad request line")
		T.ok(tostring(err):find("Invalid HTTP request line", 1, true), "error text: " .. tostring(err))
		nothing, err = httpd.read_request(reader { "GET / HT" })
		T.eq(err, sockethelper.socket_error, "closed mid-request")
	end)
	T.case("httpd.write_response: sized, chunked and empty bodies", function()
		local out = {}
		local function w(s) out[#out + 1] = s end
		T.ok(httpd.write_response(w, 200, "hi", { ["x-a"] = { "1", "2" } }), "ok")
		local s = table.concat(out)
		T.ok(s:find("^HTTP/1.1 200 OK\r\n"), "status line")
		T.ok(s:find("x-a: 1\r\nx-a: 2\r\n", 1, true), "repeated field")
		T.eq(s:sub(-23), "content-length: 2\r\n\r\nhi", "sized body")
		out = {}
		local pieces = { "ab", "", "cde" }
		local i = 0
		T.ok(httpd.write_response(w, 404, function() i = i + 1 return pieces[i] end), "chunked ok")
		T.eq(table.concat(out), "HTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n", "chunked")
		local ok, err = httpd.write_response(function() error(sockethelper.socket_error) end, 200, "x")
		T.eq(ok, false, "write failure is returned")
		T.eq(err, sockethelper.socket_error, "as socket_error")
	end)
	T.case("url.parse and parse_query", function()
		local path, query = urllib.parse("/a%20b/c+d?x=1&y=%41&x=2")
		T.eq(path, "/a b/c d", "path")
		local q = urllib.parse_query(query)
		T.eq(q.y, "A", "decoded")
		T.eq(q.x[1] .. q.x[2], "12", "repeated")
		T.eq(select(2, urllib.parse("/p")), "", "no query")
	end)
end

-- An HTTP server in this service: keep-alive, echoes method, path, body.
local function serve_http(id)
	socket.start(id)
	local read, write = sockethelper.readfunc(id), sockethelper.writefunc(id)
	while true do
		local code, url, method, header, body = httpd.read_request(read, 1024 * 1024)
		if not code then
			break
		end
		if code ~= 200 then
			httpd.write_response(write, code)
			break
		end
		if url == "/chunked" then
			local n = 0
			httpd.write_response(write, 200, function()
				n = n + 1
				if n <= 3 then return "part" .. n end
			end)
		else
			httpd.write_response(write, 200, method .. " " .. url .. " " .. body,
				{ ["x-host"] = header.host, ["content-type"] = "text/plain" })
		end
	end
	socket.close(id)
end

local function http_cases()
	local listen, _, port = socket.listen("127.0.0.1", 0)
	socket.start(listen, function(id) skynet.fork(serve_http, id) end)
	local host = "127.0.0.1:" .. port
	T.case("httpc.get / post / request with a body", function()
		local recv = {}
		local code, body = httpc.get(host, "/hello?x=1", recv)
		T.eq(code, 200, "code")
		T.eq(body, "GET /hello?x=1 ", "body")
		T.eq(recv["x-host"], host, "Host header sent")
		code, body = httpc.post(host, "/form", { a = "1 2", b = "&" })
		T.eq(code, 200, "post code")
		T.ok(body == "POST /form a=1%202&b=%26" or body == "POST /form b=%26&a=1%202", "post body: " .. body)
		local big = string.rep("0123456789", 50000)
		code, body = httpc.request("PUT", "http://" .. host, "/big", nil, nil, big)
		T.eq(#body, #"PUT /big " + #big, "500 KB request body")
	end)
	T.case("httpc.head and request_stream over a chunked response", function()
		T.eq(httpc.head(host, "/"), 200, "head")
		local s = httpc.request_stream("GET", host, "/chunked")
		T.eq(s.status, 200, "status")
		local got = {}
		for piece in s do
			got[#got + 1] = piece
		end
		T.eq(table.concat(got), "part1part2part3", "pieces")
		T.eq(s:padding(), nil, "ended")
	end)
	T.case("httpc over IPv6 [::1]", function()
		local ok, l6, _, port6 = pcall(socket.listen, "::1", 0)
		if not ok then
			print("NOTE no IPv6 loopback: " .. tostring(l6))
			return
		end
		socket.start(l6, function(id) skynet.fork(serve_http, id) end)
		local code, body = httpc.get("[::1]:" .. port6, "/six")
		T.eq(code, 200, "code")
		T.eq(body, "GET /six ", "body")
		socket.close(l6)
		T.raises("bare IPv6", httpc.get, "::1", "/")
	end)
	T.case("httpc errors: refused connection, timeout", function()
		T.raises("connect error", httpc.get, "127.0.0.1:1", "/")
		httpc.timeout = 500
		local t_refused = skynet.now()
		T.raises("connect error", httpc.get, "127.0.0.1:1", "/")
		T.ok(skynet.now() - t_refused < 200, "a refused connect does not wait for the timeout")
		httpc.timeout = nil
		-- a server that accepts and never answers
		local quiet, _, qport = socket.listen("127.0.0.1", 0)
		socket.start(quiet, function(id) socket.start(id) end)
		httpc.timeout = 50
		local t0 = skynet.now()
		T.ok(not pcall(httpc.get, "127.0.0.1:" .. qport, "/"), "timed out")
		httpc.timeout = nil
		T.ok(skynet.now() - t0 < 300, "within the timeout")
		socket.close(quiet)
	end)
	socket.close(listen)
end

local function websocket_cases()
	local events = {}
	local handle = {}
	local closed_waiter -- a coroutine waiting for the server's close event
	for _, ev in ipairs { "connect", "handshake", "message", "ping", "pong", "close", "error" } do
		handle[ev] = function(id, ...)
			events[#events + 1] = { ev, ... }
			if ev == "close" and closed_waiter then
				skynet.wakeup(closed_waiter)
			elseif ev == "message" then
				websocket.write(id, (...), select(2, ...))
			end
		end
	end
	local listen, _, port = socket.listen("127.0.0.1", 0)
	socket.start(listen, function(id, addr)
		skynet.fork(websocket.accept, id, handle, "ws", addr)
	end)
	T.case("websocket client <-> server: text, binary, ping, close", function()
		local id = websocket.connect("ws://127.0.0.1:" .. port .. "/chat?x=1", { ["X-Real-IP"] = "10.1.2.3" })
		websocket.write(id, "hello")
		local msg, kind = websocket.read(id)
		T.eq(msg, "hello", "text echo")
		T.eq(kind, "text", "type")
		local blob = string.rep("\0\1\2\255", 20000)
		websocket.write(id, blob, "binary")
		msg, kind = websocket.read(id)
		T.eq(msg, blob, "binary echo")
		T.eq(kind, "binary", "binary type")
		websocket.ping(id)
		websocket.write(id, "after ping")
		T.eq(websocket.read(id), "after ping", "pong skipped")
		T.eq(websocket.addrinfo(id), "127.0.0.1:" .. port, "addrinfo")
		closed_waiter = coroutine.running()
		skynet.timeout(500, function() skynet.wakeup(closed_waiter) end) -- bound the wait
		websocket.close(id, 1000, "bye")
		T.ok(websocket.is_close(id), "closed")
		skynet.wait(closed_waiter)
		closed_waiter = nil
		local last = events[#events]
		T.eq(last[1], "close", "server saw close")
		T.eq(last[2], 1000, "close code")
		T.eq(last[3], "bye", "close reason")
		T.eq(events[2][1], "handshake", "handshake event")
		T.eq(events[2][3], "/chat?x=1", "url")
		T.eq(events[2][2]["x-real-ip"], "10.1.2.3", "header")
	end)
	T.case("websocket: refused upgrade and oversized frames", function()
		local code = httpc.get("127.0.0.1:" .. port, "/")
		T.eq(code, 426, "plain GET refused")
		websocket.MAX_FRAME = 1000
		local id = websocket.connect("ws://127.0.0.1:" .. port .. "/")
		websocket.write(id, string.rep("x", 2000))
		local ok, reason, code2 = websocket.read(id)
		websocket.MAX_FRAME = 256 * 1024
		T.eq(ok, false, "closed by the server")
		T.eq(code2, 1009, "close code too big")
		T.ok(reason:find("too large"), "reason: " .. reason)
	end)
	socket.close(listen)

	-- httpd reads the request, then hands the upgrade to websocket.accept
	local upgraded, _, uport = socket.listen("127.0.0.1", 0)
	socket.start(upgraded, function(id, addr)
		skynet.fork(function()
			socket.start(id)
			local code, url, method, header = httpd.read_request(sockethelper.readfunc(id))
			if code == 200 and (header.upgrade or ""):lower() == "websocket" then
				websocket.accept(id, handle, "ws", addr, { upgrade = { method = method, url = url, header = header } })
			else
				socket.close(id)
			end
		end)
	end)
	T.case("websocket.accept after httpd read the upgrade request", function()
		local id = websocket.connect("ws://127.0.0.1:" .. uport .. "/up")
		websocket.write(id, "upgraded")
		T.eq(websocket.read(id), "upgraded", "echo")
		websocket.close(id)
	end)
	socket.close(upgraded)
end

local function dns_cases()
	local dns = require "skynet.dns"
	T.case("dns: literals, illegal names, hosts file", function()
		T.eq(dns.resolve("10.0.0.1"), "10.0.0.1", "ipv4 literal")
		T.eq(dns.resolve("::1", true), "::1", "ipv6 literal")
		local ip, err = dns.resolve("bad name!")
		T.eq(ip, nil, "illegal")
		T.eq(err, "illegal name", "message")
		local path = skynet.getenv "scenario_tmp" .. "/hosts"
		local f = assert(io.open(path, "w"))
		f:write("# comment\n10.9.8.7  Alpha.Test alias # trailing\n::7 alpha.test\n")
		f:close()
		dns.DEFAULT_HOSTS = path
		local first, all = dns.resolve("ALPHA.test")
		T.eq(first, "10.9.8.7", "hosts v4")
		T.eq(#all, 1, "one")
		T.eq(dns.resolve("alias"), "10.9.8.7", "alias")
		T.eq(dns.resolve("alpha.test", true), "::7", "hosts v6")
	end)
end

skynet.start(function()
	parse_cases()
	http_cases()
	websocket_cases()
	dns_cases()
	T.done()
end)
