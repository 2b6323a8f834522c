-- HTTP/1.x message framing shared by httpd, httpc and websocket: the header
-- block, header fields, sized / chunked / until-close bodies, and streamed
-- responses. `readbytes(sz)` returns exactly sz bytes, `readbytes()` what is
-- available; both raise on a closed connection.
local string = string
local table = table
local tonumber = tonumber
local type = type
local pairs = pairs
local error = error
local setmetatable = setmetatable

local M = {}

local HEADER_LIMIT = 8192	-- request/status line plus fields
local CHUNK_LINE_LIMIT = 128	-- a chunk-size line (hex size and extensions)

-- Reads a chunk-size line from `buf` (reading more as needed): the size and
-- the bytes after the line, or nil for a malformed or endless line.
local function chunk_size(readbytes, buf)
	while true do
		local e = buf:find("\r\n", 1, true)
		if e then
			local hex, ext = buf:sub(1, e - 1):match "^(%x+)[ \t]*(.*)$"
			if not hex or #hex > 8 or (ext ~= "" and ext:byte(1) ~= 59) then
				return	-- not a size, or not followed by ";extension"
			end
			return tonumber(hex, 16), buf:sub(e + 2)
		end
		if #buf > CHUNK_LINE_LIMIT then
			return
		end
		buf = buf .. readbytes()
	end
end

-- The CRLF that ends chunk data: the bytes after it, or nil.
local function skip_crlf(readbytes, buf)
	if #buf < 2 then
		buf = buf .. readbytes(2 - #buf)
	end
	if buf:sub(1, 2) ~= "\r\n" then
		return
	end
	return buf:sub(3)
end

-- Reads up to the blank line ending a header block, appending each line to
-- `lines`. `buf` holds bytes already read. Returns the bytes after the
-- block, or nil when the block exceeds HEADER_LIMIT. A block that is only
-- the blank line (no trailers) leaves `lines` untouched.
function M.recvheader(readbytes, lines, buf)
	if buf:sub(1, 2) == "\r\n" then
		return buf:sub(3)
	end
	local e = buf:find("\r\n\r\n", 1, true)
	while not e do
		if #buf > HEADER_LIMIT then
			return
		end
		local more = readbytes()
		local from = #buf - 2
		buf = buf .. more
		if buf:sub(1, 2) == "\r\n" then
			return buf:sub(3)
		end
		e = buf:find("\r\n\r\n", from > 0 and from or 1, true)
	end
	if e > HEADER_LIMIT then
		return
	end
	for line in buf:sub(1, e + 1):gmatch "(.-)\r\n" do
		lines[#lines + 1] = line
	end
	return buf:sub(e + 4)
end

-- Parses field lines lines[from..] into `header` (lower-case names; a
-- repeated field becomes a list). nil when a line is malformed.
function M.parseheader(lines, from, header)
	local name
	for i = from, #lines do
		local line = lines[i]
		local first = line:byte(1)
		if first == 9 or first == 32 then
			-- obsolete line folding continues the previous field
			if name == nil then
				return
			end
			local v = header[name]
			if type(v) == "table" then
				v[#v] = v[#v] .. line:sub(2)
			else
				header[name] = v .. line:sub(2)
			end
		else
			local value
			name, value = line:match "^([^:%s]+):%s*(.-)%s*$"
			if name == nil then
				return
			end
			name = name:lower()
			local old = header[name]
			if old == nil then
				header[name] = value
			elseif type(old) == "table" then
				old[#old + 1] = value
			else
				header[name] = { old, value }
			end
		end
	end
	return header
end

-- Reads a chunked body after the header block (`buf` = bytes already read)
-- and its trailer fields, merged into `header`. Returns body, header; nil
-- when malformed or when the body grows past `bodylimit`.
function M.recvchunkedbody(readbytes, bodylimit, header, buf)
	local parts = {}
	local size = 0
	while true do
		local sz
		sz, buf = chunk_size(readbytes, buf)
		if not sz then
			return
		end
		if sz == 0 then
			break
		end
		size = size + sz
		if bodylimit and size > bodylimit then
			return
		end
		if #buf >= sz then
			parts[#parts + 1] = buf:sub(1, sz)
			buf = buf:sub(sz + 1)
		else
			parts[#parts + 1] = buf
			parts[#parts + 1] = readbytes(sz - #buf)
			buf = ""
		end
		buf = skip_crlf(readbytes, buf)
		if not buf then
			return
		end
	end
	local trailer = {}
	if not M.recvheader(readbytes, trailer, buf) then
		return
	end
	header = M.parseheader(trailer, 1, header)
	if not header then
		return
	end
	return table.concat(parts), header
end

local function field(header, name)
	local v = header[name]
	if type(v) == "table" then
		return v[#v]
	end
	return v
end
M.field = field

-- The transfer mode of a message: "chunked", "identity", or nil + error.
function M.transfer_mode(header)
	local mode = field(header, "transfer-encoding")
	if mode == nil then
		return "identity"
	end
	mode = mode:lower()
	if mode == "chunked" or mode == "identity" then
		return mode
	end
end

local function has_body(code)
	return not (code == 204 or code == 304 or code < 200)
end

-- Writes a request and reads the response head: code, bytes after the
-- header block, header.
function M.request(interface, method, host, url, recvheader, header, content)
	local write = interface.write
	local lines = { string.format("%s %s HTTP/1.1\r\n", method, url) }
	local chunked = false
	if header then
		if not header.Host then
			header.Host = host
		end
		for k, v in pairs(header) do
			lines[#lines + 1] = string.format("%s:%s\r\n", k, v)
		end
		chunked = header["transfer-encoding"] == "chunked"
	else
		lines[#lines + 1] = string.format("host:%s\r\n", host)
	end
	if content then
		if not chunked then
			lines[#lines + 1] = string.format("Content-length:%d\r\n", #content)
		end
	else
		lines[#lines + 1] = "Content-length:0\r\n"
	end
	lines[#lines + 1] = "\r\n"
	if content and #content < 4096 then
		lines[#lines + 1] = content
		content = nil
	end
	write(table.concat(lines))
	if content then
		write(content)
	end

	local status = {}
	local rest = M.recvheader(interface.read, status, "")
	if not rest then
		error "Recv header failed"
	end
	local code = status[1] and status[1]:match "^HTTP/%d+%.%d+%s+(%d%d%d)"
	code = tonumber(code)
	if not code then
		error("Invalid HTTP status line: " .. tostring(status[1]))
	end
	local resp_header = M.parseheader(status, 2, recvheader or {})
	if not resp_header then
		error "Invalid HTTP response header"
	end
	return code, rest, resp_header
end

-- Reads the response body after M.request.
function M.response(interface, code, buf, header)
	local mode = M.transfer_mode(header)
	if not mode then
		error "Unsupport transfer-encoding"
	end
	if mode == "chunked" then
		local body = M.recvchunkedbody(interface.read, nil, header, buf)
		if not body then
			error "Invalid response body"
		end
		return body
	end
	local length = tonumber(field(header, "content-length"))
	if length then
		if #buf >= length then
			return buf:sub(1, length)
		end
		return buf .. interface.read(length - #buf)
	end
	if not has_body(code) then
		return ""
	end
	return buf .. (interface.readall() or "")
end

---------------------------------------------------------------- streams

local stream = {}
stream.__index = stream

-- Ends the stream (closing its connection); later reads give nil.
function stream:close()
	self._next = nil
	self.connected = nil
	local onclose = self._onclose
	if onclose then
		self._onclose = nil
		onclose(self)
	end
end

-- The next piece of the body, or nil at its end. `for s in stream do`.
function stream:padding()
	local next_piece = self._next
	if not next_piece then
		return
	end
	local data = next_piece(self)
	if data == nil then
		self:close()
		return
	end
	return data, self
end

stream.__call = stream.padding

local function broken(self)
	self.connected = false
	self:close()
end

local function take_buffered(self)
	local buf = self._buf
	self._buf = ""
	return buf
end

-- Some bytes from the connection, or nil once it is closed. (A TLS reader
-- may return "" while a record is incomplete.)
local function read_some(self)
	local read = self._interface.read
	while true do
		local ok, data = pcall(read)
		if not ok then
			return
		end
		if data ~= "" then
			return data
		end
	end
end

local function sized_reader(length)
	return function(self)
		if length <= 0 then
			return
		end
		local data = take_buffered(self)
		if data == "" then
			data = read_some(self)
			if not data then
				return broken(self)
			end
		end
		if #data >= length then
			data = data:sub(1, length)
		end
		length = length - #data
		return data
	end
end

local function until_close(self)
	local data = take_buffered(self)
	if data ~= "" then
		return data
	end
	return read_some(self)
end

local function chunked_reader(self)
	local read = self._interface.read
	local ok, sz, buf = pcall(chunk_size, read, take_buffered(self))
	if not ok or not sz then
		return broken(self)
	end
	if sz == 0 then
		local trailer = {}
		local done, rest = pcall(M.recvheader, read, trailer, buf)
		if not done or not rest or not M.parseheader(trailer, 1, self.header) then
			return broken(self)
		end
		return
	end
	local data
	if #buf >= sz then
		data, buf = buf:sub(1, sz), buf:sub(sz + 1)
	else
		local got
		got, data = pcall(read, sz - #buf)
		if not got then
			return broken(self)
		end
		data, buf = buf .. data, ""
	end
	local got
	got, buf = pcall(skip_crlf, read, buf)
	if not got or not buf then
		return broken(self)
	end
	self._buf = buf
	return data
end

-- A response body read piece by piece: stream(), stream:padding(),
-- stream:close(); stream.status, stream.header.
function M.response_stream(interface, code, buf, header)
	local mode = M.transfer_mode(header)
	if not mode then
		error "Unsupport transfer-encoding"
	end
	local next_piece
	if mode == "chunked" then
		next_piece = chunked_reader
	else
		local length = tonumber(field(header, "content-length"))
		if length then
			next_piece = sized_reader(length)
		elseif not has_body(code) then
			next_piece = sized_reader(0)
		else
			next_piece = until_close
		end
	end
	return setmetatable({
		status = code,
		header = header,
		connected = true,
		_buf = buf,
		_interface = interface,
		_next = next_piece,
	}, stream)
end

return M
