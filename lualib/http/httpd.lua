-- Server side of HTTP/1.x: read one request from a reader, write one
-- response through a writer. Both are pcall-safe: errors come back as values.
local internal = require "http.internal"

local string = string
local table = table
local type = type
local tonumber = tonumber
local pairs = pairs
local ipairs = ipairs
local pcall = pcall
local error = error

local httpd = {}

local reason_phrase = {
	[100] = "Continue", [101] = "Switching Protocols",
	[200] = "OK", [201] = "Created", [202] = "Accepted", [203] = "Non-Authoritative Information",
	[204] = "No Content", [205] = "Reset Content", [206] = "Partial Content",
	[300] = "Multiple Choices", [301] = "Moved Permanently", [302] = "Found", [303] = "See Other",
	[304] = "Not Modified", [305] = "Use Proxy", [307] = "Temporary Redirect",
	[400] = "Bad Request", [401] = "Unauthorized", [402] = "Payment Required", [403] = "Forbidden",
	[404] = "Not Found", [405] = "Method Not Allowed", [406] = "Not Acceptable",
	[407] = "Proxy Authentication Required", [408] = "Request Time-out", [409] = "Conflict",
	[410] = "Gone", [411] = "Length Required", [412] = "Precondition Failed",
	[413] = "Request Entity Too Large", [414] = "Request-URI Too Large",
	[415] = "Unsupported Media Type", [416] = "Requested range not satisfiable",
	[417] = "Expectation Failed",
	[500] = "Internal Server Error", [501] = "Not Implemented", [502] = "Bad Gateway",
	[503] = "Service Unavailable", [504] = "Gateway Time-out", [505] = "HTTP Version not supported",
}

local function read_body(readbytes, bodylimit, header, buf)
	local mode = internal.transfer_mode(header)
	if not mode then
		return 501
	end
	if mode == "chunked" then
		local body = internal.recvchunkedbody(readbytes, bodylimit, header, buf)
		if not body then
			return 413
		end
		return 200, body
	end
	local length = internal.field(header, "content-length")
	if length == nil then
		return 200, ""
	end
	length = tonumber(length)
	if not length or length < 0 or length % 1 ~= 0 then
		return 400
	end
	if bodylimit and length > bodylimit then
		return 413
	end
	if #buf >= length then
		return 200, buf:sub(1, length)
	end
	return 200, buf .. readbytes(length - #buf)
end

local function read_request(readbytes, bodylimit)
	local lines = {}
	local buf = internal.recvheader(readbytes, lines, "")
	if not buf then
		return 413
	end
	local line = lines[1]
	local method, url, version = (line or ""):match "^(%a+)%s+(%S+)%s+HTTP/(%d+%.%d+)$"
	if not method then
		error(string.format("Invalid HTTP request line: %q", (line or ""):sub(1, 128)), 0)
	end
	version = tonumber(version)
	if version < 1.0 or version > 1.1 then
		return 505
	end
	local header = internal.parseheader(lines, 2, {})
	if not header then
		return 400
	end
	local code, body = read_body(readbytes, bodylimit, header, buf)
	if code ~= 200 then
		return code
	end
	return 200, url, method, header, body
end

-- read_request(readbytes [, bodylimit]) -> code, url, method, header, body.
-- code ~= 200 (400, 413, 501, 505): the request cannot be served and the
-- connection should be closed after answering. nil, err: read failed
-- (err == sockethelper.socket_error when the connection closed) or the
-- request line is malformed.
function httpd.read_request(readbytes, bodylimit)
	local ok, code, url, method, header, body = pcall(read_request, readbytes, bodylimit)
	if ok then
		return code, url, method, header, body
	end
	return nil, code
end

local function write_fields(lines, header)
	for k, v in pairs(header) do
		if type(v) == "table" then
			for _, item in ipairs(v) do
				lines[#lines + 1] = string.format("%s: %s\r\n", k, item)
			end
		else
			lines[#lines + 1] = string.format("%s: %s\r\n", k, v)
		end
	end
end

local function write_response(write, code, body, header)
	local lines = { string.format("HTTP/1.1 %03d %s\r\n", code, reason_phrase[code] or "") }
	if header then
		write_fields(lines, header)
	end
	local t = type(body)
	if t == "string" then
		lines[#lines + 1] = string.format("content-length: %d\r\n\r\n", #body)
		if #body <= 4096 then
			lines[#lines + 1] = body
			write(table.concat(lines))
		else
			write(table.concat(lines))
			write(body)
		end
	elseif t == "function" then
		-- the first chunk-size line also ends the header block
		lines[#lines + 1] = "transfer-encoding: chunked\r\n"
		write(table.concat(lines))
		while true do
			local s = body()
			if s == nil then
				write "\r\n0\r\n\r\n"
				break
			end
			if s ~= "" then
				write(string.format("\r\n%x\r\n", #s))
				write(s)
			end
		end
	elseif t == "nil" then
		lines[#lines + 1] = "\r\n"
		write(table.concat(lines))
	else
		error("Invalid response body type: " .. t)
	end
end

-- write_response(write, code [, body | bodyfunc [, header]]) -> ok, err.
-- A function body is sent chunked, one chunk per non-empty string it
-- returns, until it returns nil.
function httpd.write_response(write, code, body, header)
	return pcall(write_response, write, code, body, header)
end

return httpd
