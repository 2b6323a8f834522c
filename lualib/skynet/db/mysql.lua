-- MySQL / MariaDB client on socketchannel (order mode: the server answers
-- commands in order).
--   local db = mysql.connect { host, port, database, user, password, charset,
--       max_packet_size, on_connect, compact_arrays, overload, timeout }
--   db:query "select ..."           -> rows | OK table | { badresult = true, err, errno, sqlstate }
--   local stmt = db:prepare "...?"  db:execute(stmt, ...)  db:stmt_reset(stmt)  db:stmt_close(stmt)
-- SQL errors come back as badresult tables (as upstream); a lost connection
-- raises, and the next call connects again (on_connect runs each time).
local socketchannel = require "skynet.socketchannel"
local crypt = require "skynet.crypt"
local protocol = require "skynet.db.mysql.protocol"

local byte = string.byte
local char = string.char
local sub = string.sub
local rep = string.rep
local format = string.format
local concat = table.concat
local read_packet = protocol.read_packet
local frame = protocol.frame
local le32 = protocol.le32

local mysql = { _VERSION = "0.14" }
local command = {}
local meta = { __index = command }

-- default collation id of each character set
local CHARSET = {
	_default = 0, big5 = 1, dec8 = 3, cp850 = 4, hp8 = 6, koi8r = 7, latin1 = 8, latin2 = 9,
	swe7 = 10, ascii = 11, ujis = 12, sjis = 13, hebrew = 16, tis620 = 18, euckr = 19, koi8u = 22,
	gb2312 = 24, greek = 25, cp1250 = 26, gbk = 28, latin5 = 30, armscii8 = 32, utf8 = 33,
	ucs2 = 35, cp866 = 36, keybcs2 = 37, macce = 38, macroman = 39, cp852 = 40, latin7 = 41,
	utf8mb4 = 45, cp1251 = 51, utf16 = 54, utf16le = 56, cp1256 = 57, cp1257 = 59, utf32 = 60,
	binary = 63, geostd8 = 92, cp932 = 95, eucjpms = 97, gb18030 = 248,
}

local COM_QUERY = "\3"
local COM_PING = "\14"
local COM_STMT_PREPARE = "\22"
local COM_STMT_EXECUTE = "\23"
local COM_STMT_CLOSE = "\25"
local COM_STMT_RESET = "\26"

-- LONG_PASSWORD FOUND_ROWS LONG_FLAG CONNECT_WITH_DB PROTOCOL_41
-- TRANSACTIONS SECURE_CONNECTION MULTI_STATEMENTS MULTI_RESULTS
-- PS_MULTI_RESULTS PLUGIN_AUTH (no LOCAL_FILES: the server may not read
-- the client's files)
local CLIENT_FLAGS = 0x1 + 0x2 + 0x4 + 0x8 + 0x200 + 0x2000 + 0x8000 + 0x10000 + 0x20000 + 0x40000 + 0x80000

--- authentication

local function native_token(password, scramble)
	if password == "" then
		return ""
	end
	local sha1 = crypt.sha1
	local stage1 = sha1(password)
	return protocol.xor(sha1(scramble .. sha1(stage1)), stage1)
end

local function sha2_token(password, scramble)
	if password == "" then
		return ""
	end
	local sha256 = crypt.sha256
	if not sha256 then
		error("mysql: caching_sha2_password needs crypt.sha256", 0)
	end
	local stage1 = sha256(password)
	return protocol.xor(stage1, sha256(sha256(stage1) .. scramble))
end

local auth_plugins = {
	mysql_native_password = native_token,
	caching_sha2_password = sha2_token,
}

local function token_for(plugin, password, scramble)
	local f = auth_plugins[plugin]
	if not f then
		error("mysql: unsupported authentication plugin " .. tostring(plugin), 0)
	end
	return f(password, scramble)
end

local function auth_error(payload)
	local errno, msg, sqlstate = protocol.parse_err(payload)
	return format("errno:%d, msg:%s,sqlstate:%s", errno, msg, tostring(sqlstate))
end

-- a reader that hands the next packet (and its sequence) to the caller
local function next_packet(sock)
	local payload, seq = read_packet(sock)
	return true, { payload, seq }
end

local function handshake_response(self, greeting, token, plugin)
	local user, database = self._user, self._database
	return concat {
		le32(CLIENT_FLAGS),
		le32(self._max_packet_size),
		char(self._charset),
		rep("\0", 23),
		user, "\0",
		char(#token), token,
		database, "\0",
		plugin, "\0",
	}
end

-- The greeting, our answer, then any number of auth switches or extra
-- rounds until OK or ERR.
local function login(self)
	return function(channel)
		self._auth_error = nil
		local ok, err = pcall(function()
			local greeting_packet = channel:response(next_packet)
			local greeting = protocol.parse_greeting(greeting_packet[1])
			self._server_ver = greeting.server_ver
			self.protocol_ver = greeting.protocol
			local plugin = greeting.plugin or "mysql_native_password"
			if not auth_plugins[plugin] then
				plugin = "mysql_native_password"
			end
			local scramble = greeting.scramble
			local password = self._password
			local out = handshake_response(self, greeting, token_for(plugin, password, scramble), plugin)
			local seq = greeting_packet[2] + 1
			while true do
				local reply = channel:request(frame(out, seq), next_packet)
				local payload = reply[1]
				seq = reply[2] + 1
				local first = byte(payload, 1)
				if first == 0x00 then
					return
				elseif first == 0xff then
					error(auth_error(payload), 0)
				elseif first == 0xfe then	-- switch to another plugin
					local name, pos = protocol.cstring(payload, 2)
					plugin = name
					scramble = sub(payload, pos):gsub("%z$", "")
					out = token_for(plugin, password, scramble)
				elseif first == 0x01 and plugin == "caching_sha2_password" then
					local status = byte(payload, 2)
					if status == 3 then	-- fast auth done: OK follows
						local final = channel:response(next_packet)[1]
						if byte(final, 1) == 0xff then
							error(auth_error(final), 0)
						end
						return
					end
					error("mysql: caching_sha2_password full authentication needs a secure connection (not supported); log in once with another client to fill the server's cache", 0)
				else
					error(format("mysql: unexpected authentication packet 0x%02x", first or 0), 0)
				end
			end
		end)
		if not ok then
			self._auth_error = err
			error(err, 0)
		end
		if self._on_connect then
			self._on_connect(self)
		end
	end
end

function mysql.connect(opts)
	local self = setmetatable({}, meta)
	self._max_packet_size = opts.max_packet_size or 1024 * 1024
	self.compact = opts.compact_arrays
	self._database = opts.database or ""
	self._user = opts.user or ""
	self._password = opts.password or ""
	self._charset = CHARSET[opts.charset or "_default"] or error("mysql: unknown charset " .. tostring(opts.charset))
	self._on_connect = opts.on_connect
	local channel = socketchannel.channel {
		host = opts.host or "127.0.0.1",
		port = opts.port or 3306,
		auth = login(self),
		nodelay = true,	-- concurrent callers' commands must not wait for the server's delayed ACK
		overload = opts.overload,
		timeout = opts.timeout,
	}
	self.sockchannel = channel
	local ok, err = pcall(channel.connect, channel, true)
	if not ok then
		channel:close()
		error(self._auth_error or err, 0)
	end
	return self
end

function command:disconnect()
	self.sockchannel:close()
	setmetatable(self, nil)
end

--- commands

local function request(self, payload, reader)
	return self.sockchannel:request(frame(payload, 0), reader)
end

local function results_reader(self, binary)
	return function(sock)
		return true, protocol.read_results(sock, self.compact, binary)
	end
end

function command:query(sql)
	local reader = self._query_reader
	if not reader then
		reader = results_reader(self, false)
		self._query_reader = reader
	end
	return request(self, COM_QUERY .. sql, reader)
end

function command:ping()
	local reader = self._query_reader or results_reader(self, false)
	self._query_reader = reader
	return request(self, COM_PING, reader)
end

local function read_prepare(sock)
	return true, protocol.read_prepare(sock)
end

function command:prepare(sql)
	return request(self, COM_STMT_PREPARE .. sql, read_prepare)
end

-- parameter encoders: type (2 bytes), value
local TWO32 = 4294967296
local TWO63 = 9223372036854775808

local function int64_bytes(v)
	local hi = math.floor(v / TWO32)
	local lo = v - hi * TWO32
	return le32(lo) .. le32(hi % TWO32)
end

local param_encoders = {
	number = function(v)
		if v % 1 == 0 and v >= -TWO63 and v < TWO63 then
			return "\8\0", int64_bytes(v)
		end
		return "\5\0", string.pack("<d", v)
	end,
	string = function(v)
		return "\254\0", protocol.lenenc_bytes(#v) .. v
	end,
	boolean = function(v)
		return "\1\0", v and "\1" or "\0"
	end,
}

local function execute_payload(stmt, args)
	local n = args.n
	if stmt.badresult then
		error("mysql: execute of a statement that failed to prepare: " .. tostring(stmt.err))
	end
	if n ~= stmt.param_count then
		error(format("require stmt.param_count %d get arg_num %d", stmt.param_count, n))
	end
	local out = { COM_STMT_EXECUTE, le32(stmt.prepare_id), "\0", le32(1) }
	if n > 0 then
		local nullmap = {}
		local types, values = {}, {}
		for i = 1, math.floor((n + 7) / 8) do
			local b = 0
			for j = 0, 7 do
				local k = (i - 1) * 8 + j + 1
				if k <= n and args[k] == nil then
					b = b + 2 ^ j
				end
			end
			nullmap[i] = char(b)
		end
		for i = 1, n do
			local v = args[i]
			if v == nil then
				types[i] = "\6\0"
			else
				local enc = param_encoders[type(v)]
				if not enc then
					error("invalid parameter type " .. type(v))
				end
				types[i], values[#values + 1] = enc(v)
			end
		end
		out[#out + 1] = concat(nullmap)
		out[#out + 1] = "\1"	-- types follow
		out[#out + 1] = concat(types)
		out[#out + 1] = concat(values)
	end
	return concat(out)
end

function command:execute(stmt, ...)
	local payload = execute_payload(stmt, table.pack(...))
	local reader = self._execute_reader
	if not reader then
		reader = results_reader(self, true)
		self._execute_reader = reader
	end
	return request(self, payload, reader)
end

function command:stmt_reset(stmt)
	local reader = self._query_reader or results_reader(self, false)
	self._query_reader = reader
	return request(self, COM_STMT_RESET .. le32(stmt.prepare_id), reader)
end

-- COM_STMT_CLOSE has no answer
function command:stmt_close(stmt)
	return request(self, COM_STMT_CLOSE .. le32(stmt.prepare_id))
end

function command:server_ver()
	return self._server_ver
end

function command:set_compact_arrays(value)
	self.compact = value
end

local escapes = {
	["\0"] = "\\0", ["\b"] = "\\b", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
	["\26"] = "\\Z", ["\\"] = "\\\\", ["'"] = "\\'", ['"'] = '\\"',
}

function mysql.quote_sql_str(s)
	return "'" .. s:gsub("[%z\b\n\r\t\26\\'\"]", escapes) .. "'"
end

-- the decoder and the auth tokens, for tests and the fuzz target
mysql.protocol = protocol
mysql.auth_token = token_for

return mysql
