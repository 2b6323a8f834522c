-- The MySQL/MariaDB client/server protocol: packet framing, the handshake,
-- result sets of the text and the binary (prepared statement) protocol.
-- Pure codec on a sock with read(n) (raising on a closed connection); no
-- skynet dependency, so the fuzz target runs it on its own.
--
-- 64-bit integers: LuaJIT numbers are doubles. A BIGINT beyond +-2^53
-- comes back as its decimal string, so nothing is silently changed; every
-- other integer is a number.
local bit = require "bit"

local band, bor, lshift = bit.band, bit.bor, bit.lshift
local byte = string.byte
local char = string.char
local sub = string.sub
local format = string.format
local concat = table.concat
local tonumber = tonumber
local error = error

local protocol = {}

local MAX_PAYLOAD = 0xffffff	-- a packet of this size is continued by the next one
protocol.MAX_PAYLOAD = MAX_PAYLOAD
local SERVER_MORE_RESULTS_EXISTS = 8

local function malformed(what)
	error("mysql: malformed packet (" .. what .. ")", 0)
end

local function need(data, pos, n, what)
	if pos + n - 1 > #data then
		malformed(what)
	end
end

local function u16(data, pos)
	need(data, pos, 2, "u16")
	local a, b = byte(data, pos, pos + 1)
	return a + b * 256, pos + 2
end

local function u24(data, pos)
	need(data, pos, 3, "u24")
	local a, b, c = byte(data, pos, pos + 2)
	return a + b * 256 + c * 65536, pos + 3
end

local function u32(data, pos)
	need(data, pos, 4, "u32")
	local a, b, c, d = byte(data, pos, pos + 3)
	return a + b * 256 + c * 65536 + d * 16777216, pos + 4
end

protocol.u16, protocol.u24, protocol.u32 = u16, u24, u32

-- Exact decimal text of the 64-bit integer hi * 2^32 + lo (both unsigned
-- 32-bit), by long division on 16-bit limbs: every step stays below 2^53.
local function uint64_text(hi, lo)
	local limbs = { math.floor(hi / 65536), hi % 65536, math.floor(lo / 65536), lo % 65536 }
	local parts = {}
	repeat
		local rem = 0
		local zero = true
		for i = 1, 4 do
			local cur = rem * 65536 + limbs[i]
			limbs[i] = math.floor(cur / 10000000)
			rem = cur % 10000000
			if limbs[i] ~= 0 then
				zero = false
			end
		end
		parts[#parts + 1] = rem
	until zero
	local out = { tostring(parts[#parts]) }
	for i = #parts - 1, 1, -1 do
		out[#out + 1] = format("%07d", parts[i])
	end
	return concat(out)
end

local TWO32 = 4294967296
local TWO53 = 9007199254740992

-- a 64-bit integer from its halves: a number when exact, else its decimal text
local function int64_value(hi, lo, signed)
	if signed and hi >= 2147483648 then
		-- negative: magnitude is 2^64 - value
		local mlo = (TWO32 - lo) % TWO32
		local mhi = TWO32 - 1 - hi + (lo == 0 and 1 or 0)
		local m = mhi * TWO32 + mlo
		if m <= TWO53 then
			return -m
		end
		return "-" .. uint64_text(mhi, mlo)
	end
	local v = hi * TWO32 + lo
	if v <= TWO53 then
		return v
	end
	return uint64_text(hi, lo)
end
protocol.int64_value = int64_value

-- decimal text of an integer column: a number up to 2^53, else the text
local function integer_text(s)
	local v = tonumber(s)
	if v and (v > TWO53 or v < -TWO53) then
		return s
	end
	return v
end
protocol.integer_text = integer_text

-- length-encoded integer (nil for the NULL marker 0xfb)
local function lenenc(data, pos)
	local first = byte(data, pos)
	if first == nil then
		malformed "length"
	end
	if first < 251 then
		return first, pos + 1
	elseif first == 251 then
		return nil, pos + 1
	elseif first == 252 then
		return u16(data, pos + 1)
	elseif first == 253 then
		return u24(data, pos + 1)
	elseif first == 254 then
		local lo, p = u32(data, pos + 1)
		local hi
		hi, p = u32(data, p)
		if hi >= 2097152 then	-- 2^53: no packet is that long
			malformed "length"
		end
		return hi * TWO32 + lo, p
	end
	malformed "length marker"
end
protocol.lenenc = lenenc

local function lenenc_str(data, pos)
	local n
	n, pos = lenenc(data, pos)
	if n == nil then
		return nil, pos
	end
	need(data, pos, n, "string")
	return sub(data, pos, pos + n - 1), pos + n
end
protocol.lenenc_str = lenenc_str

function protocol.lenenc_bytes(n)
	if n < 251 then
		return char(n)
	elseif n < 65536 then
		return char(252, n % 256, math.floor(n / 256))
	elseif n < 16777216 then
		return char(253, n % 256, math.floor(n / 256) % 256, math.floor(n / 65536))
	end
	local lo, hi = n % TWO32, math.floor(n / TWO32)
	return char(254) .. protocol.le32(lo) .. protocol.le32(hi)
end

function protocol.le16(n)
	return char(n % 256, math.floor(n / 256) % 256)
end

function protocol.le32(n)
	return char(n % 256, math.floor(n / 256) % 256, math.floor(n / 65536) % 256, math.floor(n / 16777216) % 256)
end

local function cstring(data, pos)
	local e = data:find("\0", pos, true)
	if not e then
		malformed "string terminator"
	end
	return sub(data, pos, e - 1), e + 1
end
protocol.cstring = cstring

-- Packets: 3-byte length, 1-byte sequence, payload. A payload of 2^24-1
-- bytes or more is split; the reader joins the parts.
-- read_packet(sock) -> payload, sequence
function protocol.read_packet(sock)
	local header = sock:read(4)
	local len = u24(header, 1)
	local seq = byte(header, 4)
	local payload = len > 0 and sock:read(len) or ""
	if len < MAX_PAYLOAD then
		return payload, seq
	end
	local parts = { payload }
	repeat
		header = sock:read(4)
		len = u24(header, 1)
		seq = byte(header, 4)
		parts[#parts + 1] = len > 0 and sock:read(len) or ""
	until len < MAX_PAYLOAD
	return concat(parts), seq
end

-- payload framed as packets seq, seq+1, ...; a table of strings
function protocol.frame(payload, seq)
	local n = #payload
	if n < MAX_PAYLOAD then
		return { protocol.le32(n):sub(1, 3), char(seq % 256), payload }
	end
	local out = {}
	local pos = 1
	repeat
		local chunk = sub(payload, pos, pos + MAX_PAYLOAD - 1)
		local len = #chunk
		out[#out + 1] = protocol.le32(len):sub(1, 3) .. char(seq % 256)
		out[#out + 1] = chunk
		seq = seq + 1
		pos = pos + len
	until len < MAX_PAYLOAD
	return out
end

local function packet_kind(payload)
	local first = byte(payload, 1)
	if first == 0x00 then
		return "OK"
	elseif first == 0xff then
		return "ERR"
	elseif first == 0xfe and #payload < 9 then
		return "EOF"
	end
	return "DATA"
end
protocol.packet_kind = packet_kind

function protocol.parse_ok(payload)
	local res = {}
	local pos
	res.affected_rows, pos = lenenc(payload, 2)
	res.insert_id, pos = lenenc(payload, pos)
	res.server_status, pos = u16(payload, pos)
	res.warning_count, pos = u16(payload, pos)
	local message = sub(payload, pos)
	if message ~= "" then
		res.message = message
	end
	return res
end

-- -> errno, message, sqlstate
function protocol.parse_err(payload)
	local errno, pos = u16(payload, 2)
	local sqlstate
	if sub(payload, pos, pos) == "#" then
		sqlstate = sub(payload, pos + 1, pos + 5)
		pos = pos + 6
	end
	return errno, sub(payload, pos), sqlstate
end

local function eof_status(payload)
	if #payload < 5 then
		return 0
	end
	return (u16(payload, 4))
end

local function parse_field(payload)
	local pos = 1
	local _
	_, pos = lenenc_str(payload, pos)	-- catalog
	_, pos = lenenc_str(payload, pos)	-- schema
	_, pos = lenenc_str(payload, pos)	-- table
	_, pos = lenenc_str(payload, pos)	-- original table
	local col = {}
	col.name, pos = lenenc_str(payload, pos)
	_, pos = lenenc_str(payload, pos)	-- original name
	pos = pos + 1	-- length of the fixed fields
	_, pos = u16(payload, pos)	-- character set
	_, pos = u32(payload, pos)	-- column length
	need(payload, pos, 1, "column type")
	col.type = byte(payload, pos)
	local flags = u16(payload, pos + 1)
	col.is_signed = band(flags, 0x20) == 0
	col.decimals = byte(payload, pos + 3)
	return col
end
protocol.parse_field = parse_field

-- Text protocol values: numbers for the numeric types, strings otherwise.
local text_number = {}
for _, t in ipairs { 0x01, 0x02, 0x03, 0x04, 0x05, 0x09, 0x0d, 0xf6 } do
	text_number[t] = tonumber
end
text_number[0x08] = integer_text	-- BIGINT

local function parse_text_row(payload, cols, compact)
	local row = {}
	local pos = 1
	for i = 1, #cols do
		local col = cols[i]
		local v
		v, pos = lenenc_str(payload, pos)
		if v ~= nil then
			local conv = text_number[col.type]
			if conv then
				v = conv(v)
			end
			if compact then
				row[i] = v
			else
				row[col.name] = v
			end
		end
	end
	return row
end

-- Binary protocol values, by column type.
local function signed(v, bits, is_signed)
	if is_signed and v >= bits / 2 then
		return v - bits
	end
	return v
end

local function float_of(data, pos, size)
	need(data, pos, size, "float")
	local v = string.unpack(size == 4 and "<f" or "<d", data, pos)
	return v, pos + size
end

-- microseconds shown with the column's number of decimals, as the text
-- protocol shows them
local function fraction(us, decimals)
	if not decimals or decimals < 1 or decimals > 6 then
		decimals = 6
	end
	return sub(format(".%06d", us), 1, decimals + 1)
end

local function datetime_of(data, pos, _, decimals)
	local n
	n, pos = lenenc(data, pos)
	n = n or 0
	need(data, pos, n, "datetime")
	if n == 0 then
		return "0000-00-00 00:00:00", pos
	end
	local year = u16(data, pos)
	local month, day = byte(data, pos + 2, pos + 3)
	local h, m, s = 0, 0, 0
	if n >= 7 then
		h, m, s = byte(data, pos + 4, pos + 6)
	end
	local text = format("%04d-%02d-%02d %02d:%02d:%02d", year, month, day, h, m, s)
	if n >= 11 then
		text = text .. fraction((u32(data, pos + 7)), decimals)
	end
	return text, pos + n
end

local function date_of(data, pos)
	local n
	n, pos = lenenc(data, pos)
	n = n or 0
	need(data, pos, n, "date")
	if n < 4 then
		return "0000-00-00", pos + n
	end
	local year = u16(data, pos)
	local month, day = byte(data, pos + 2, pos + 3)
	return format("%04d-%02d-%02d", year, month, day), pos + n
end

local function time_of(data, pos, _, decimals)
	local n
	n, pos = lenenc(data, pos)
	n = n or 0
	need(data, pos, n, "time")
	if n < 8 then
		return "00:00:00", pos + n
	end
	local negative = byte(data, pos) == 1
	local days = u32(data, pos + 1)
	local h, m, s = byte(data, pos + 5, pos + 7)
	local text = format("%s%02d:%02d:%02d", negative and "-" or "", days * 24 + h, m, s)
	if n >= 12 then
		text = text .. fraction((u32(data, pos + 8)), decimals)
	end
	return text, pos + n
end

local binary_value = {
	[0x01] = function(data, pos, is_signed)	-- TINY
		need(data, pos, 1, "tiny")
		return signed(byte(data, pos), 256, is_signed), pos + 1
	end,
	[0x02] = function(data, pos, is_signed)	-- SHORT
		local v, p = u16(data, pos)
		return signed(v, 65536, is_signed), p
	end,
	[0x03] = function(data, pos, is_signed)	-- LONG
		local v, p = u32(data, pos)
		return signed(v, TWO32, is_signed), p
	end,
	[0x04] = function(data, pos) return float_of(data, pos, 4) end,
	[0x05] = function(data, pos) return float_of(data, pos, 8) end,
	[0x06] = function(_, pos) return nil, pos end,	-- NULL
	[0x07] = datetime_of,	-- TIMESTAMP
	[0x08] = function(data, pos, is_signed)	-- LONGLONG
		local lo, p = u32(data, pos)
		local hi
		hi, p = u32(data, p)
		return int64_value(hi, lo, is_signed), p
	end,
	[0x09] = function(data, pos, is_signed)	-- INT24 (sent as 4 bytes)
		local v, p = u32(data, pos)
		return signed(v, TWO32, is_signed), p
	end,
	[0x0a] = date_of,	-- DATE
	[0x0b] = time_of,	-- TIME
	[0x0c] = datetime_of,	-- DATETIME
	[0x0d] = function(data, pos)	-- YEAR
		return u16(data, pos)
	end,
	[0xf6] = function(data, pos)	-- NEWDECIMAL
		local s, p = lenenc_str(data, pos)
		return tonumber(s) or s, p
	end,
}
-- everything else is a length-encoded string: VARCHAR, BIT, JSON, ENUM,
-- SET, the BLOBs, VAR_STRING, STRING, GEOMETRY
for _, t in ipairs { 0x0f, 0x10, 0xf5, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff } do
	binary_value[t] = lenenc_str
end

local function parse_binary_row(payload, cols, compact)
	local ncols = #cols
	local bitmap_len = math.floor((ncols + 9) / 8)
	local pos = 2 + bitmap_len
	need(payload, 2, bitmap_len, "null bitmap")
	local row = {}
	for i = 1, ncols do
		local bitpos = i + 1	-- the first two bits are reserved
		local b = byte(payload, 2 + math.floor(bitpos / 8))
		if band(b, lshift(1, bitpos % 8)) == 0 then
			local col = cols[i]
			local f = binary_value[col.type]
			if f == nil then
				error(format("mysql: unsupported column type 0x%02x", col.type), 0)
			end
			local v
			v, pos = f(payload, pos, col.is_signed, col.decimals)
			if compact then
				row[i] = v
			else
				row[col.name] = v
			end
		end
	end
	return row
end

-- Read one result: an OK table, an ERR (nil, msg, errno, sqlstate) or a
-- result set (rows). The second value "again" tells another follows.
local function read_result(sock, compact, binary)
	local payload = protocol.read_packet(sock)
	local kind = packet_kind(payload)
	if kind == "ERR" then
		local errno, msg, sqlstate = protocol.parse_err(payload)
		return nil, msg, errno, sqlstate
	elseif kind == "OK" then
		local res = protocol.parse_ok(payload)
		if band(res.server_status, SERVER_MORE_RESULTS_EXISTS) ~= 0 then
			return res, "again"
		end
		return res
	elseif kind ~= "DATA" then
		return nil, "mysql: unexpected " .. kind .. " packet"
	end
	local ncols = lenenc(payload, 1)
	if ncols == nil or ncols > 4096 then
		malformed "column count"
	end
	local cols = {}
	for i = 1, ncols do
		payload = protocol.read_packet(sock)
		local k = packet_kind(payload)
		if k == "ERR" then
			local errno, msg, sqlstate = protocol.parse_err(payload)
			return nil, msg, errno, sqlstate
		elseif k ~= "DATA" then
			malformed "column definition"
		end
		cols[i] = parse_field(payload)
	end
	payload = protocol.read_packet(sock)
	if packet_kind(payload) ~= "EOF" then
		malformed "end of columns"
	end
	local parse_row = binary and parse_binary_row or parse_text_row
	local rows = {}
	local n = 0
	while true do
		payload = protocol.read_packet(sock)
		local k = packet_kind(payload)
		if k == "EOF" then
			if band(eof_status(payload), SERVER_MORE_RESULTS_EXISTS) ~= 0 then
				return rows, "again"
			end
			return rows
		elseif k == "ERR" then
			local errno, msg, sqlstate = protocol.parse_err(payload)
			return nil, msg, errno, sqlstate
		end
		n = n + 1
		rows[n] = parse_row(payload, cols, compact)
	end
end

-- Every result of one command: a single result as is; several as
-- { res1, res2, ..., multiresultset = true }; an error as a table with
-- badresult = true, err, errno, sqlstate (after the results before it).
function protocol.read_results(sock, compact, binary)
	local res, err, errno, sqlstate = read_result(sock, compact, binary)
	if res == nil then
		return { badresult = true, err = err, errno = errno, sqlstate = sqlstate }
	end
	if err ~= "again" then
		return res
	end
	local all = { res, multiresultset = true }
	if binary then
		all.mulitresultset = true	-- upstream's spelling for execute
	end
	while err == "again" do
		res, err, errno, sqlstate = read_result(sock, compact, binary)
		if res == nil then
			all.badresult, all.err, all.errno, all.sqlstate = true, err, errno, sqlstate
			break
		end
		all[#all + 1] = res
	end
	return all
end

-- COM_STMT_PREPARE's answer: the statement or a badresult table.
function protocol.read_prepare(sock)
	local payload = protocol.read_packet(sock)
	local kind = packet_kind(payload)
	if kind == "ERR" then
		local errno, msg, sqlstate = protocol.parse_err(payload)
		return { badresult = true, err = msg, errno = errno, sqlstate = sqlstate }
	elseif kind ~= "OK" then
		malformed "prepare answer"
	end
	local stmt = { params = {}, fields = {} }
	local pos
	stmt.prepare_id, pos = u32(payload, 2)
	stmt.field_count, pos = u16(payload, pos)
	stmt.param_count, pos = u16(payload, pos)
	stmt.warning_count = u16(payload, pos + 1)
	local function definitions(list, n)
		if n == 0 then
			return
		end
		for i = 1, n do
			list[i] = parse_field(protocol.read_packet(sock))
		end
		if packet_kind(protocol.read_packet(sock)) ~= "EOF" then
			malformed "end of definitions"
		end
	end
	definitions(stmt.params, stmt.param_count)
	definitions(stmt.fields, stmt.field_count)
	return stmt
end

-- The server's greeting (protocol 10).
function protocol.parse_greeting(payload)
	local g = {}
	local pos
	g.protocol = byte(payload, 1)
	if g.protocol ~= 10 then
		error("mysql: unsupported protocol version " .. tostring(g.protocol), 0)
	end
	g.server_ver, pos = cstring(payload, 2)
	g.thread_id, pos = u32(payload, pos)
	need(payload, pos, 8, "scramble")
	local part1 = sub(payload, pos, pos + 7)
	pos = pos + 9
	local caps_low
	caps_low, pos = u16(payload, pos)
	need(payload, pos, 1, "charset")
	g.charset = byte(payload, pos)
	g.status, pos = u16(payload, pos + 1)
	local caps_high
	caps_high, pos = u16(payload, pos)
	g.capabilities = caps_low + caps_high * 65536
	need(payload, pos, 1, "auth data length")
	local auth_len = byte(payload, pos)
	pos = pos + 11
	local len2 = math.max(13, auth_len - 8)
	local part2 = sub(payload, pos, pos + len2 - 1)
	pos = pos + len2
	g.scramble = part1 .. part2:gsub("%z$", "")
	if pos <= #payload then
		g.plugin = (payload:match("^[^%z]*", pos))
	end
	return g
end

-- bit helpers for the auth tokens
function protocol.xor(a, b)
	local out = {}
	for i = 1, #a do
		out[i] = char(bit.bxor(byte(a, i), byte(b, (i - 1) % #b + 1)))
	end
	return concat(out)
end

protocol.bor = bor

return protocol
