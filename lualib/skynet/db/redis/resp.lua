-- The redis wire format: commands out as RESP arrays of bulk strings,
-- replies in as RESP2 or RESP3 values. Pure codec, no skynet dependency, so
-- the fuzz target can run it on its own.
--
-- read(sock) -> ok, value: sock has readline(sep) and read(n) that raise
-- on a closed connection. ok is false for an error reply (value is the
-- message), or for an aggregate that holds one (value is the aggregate).
-- A reply that is not RESP raises an error: the stream can't be trusted.
local tonumber = tonumber
local tostring = tostring
local byte = string.byte
local sub = string.sub
local format = string.format
local concat = table.concat
local error = error
local type = type

local resp = {}

local function bad_reply(what, line)
	error(format("redis: bad reply (%s): %q", what, sub(line, 1, 64)), 0)
end

local function count_of(line, data)
	local n = tonumber(data)
	if n == nil or n ~= n or n < -1 or n % 1 ~= 0 then
		bad_reply("length", line)
	end
	return n
end

local function read_blob(sock, line, data)
	local n = count_of(line, data)
	if n < 0 then
		return nil
	end
	local blob = sock:read(n + 2)
	if sub(blob, -2) ~= "\r\n" then
		bad_reply("blob terminator", line)
	end
	return sub(blob, 1, -3)
end

-- Integers beyond +-2^53 do not all fit a double: they stay decimal
-- strings rather than silently change.
local TWO53 = 9007199254740992
local function integer_of(line, data)
	local n = tonumber(data)
	if n == nil or n % 1 ~= 0 then
		bad_reply("integer", line)
	end
	if n > TWO53 or n < -TWO53 then
		return data
	end
	return n
end

local double_words = { inf = math.huge, ["-inf"] = -math.huge, nan = 0 / 0, ["-nan"] = 0 / 0 }

local readers = {}
local read

-- RESP3 maps come back as flat key, value arrays: the shape RESP2 gives the
-- same commands (HGETALL, CONFIG GET), so callers need not care.
local function read_aggregate(sock, line, n)
	if n < 0 then
		return true, nil
	end
	local items = {}
	local all_ok = true
	for i = 1, n do
		local ok, v = read(sock)
		if not ok then
			all_ok = false
		end
		items[i] = v
	end
	return all_ok, items
end

readers[43] = function(_, _, data) -- '+' simple string
	return true, data
end

readers[45] = function(_, _, data) -- '-' error
	return false, data
end

readers[58] = function(_, line, data) -- ':' integer
	return true, integer_of(line, data)
end

readers[36] = function(sock, line, data) -- '$' bulk string
	return true, read_blob(sock, line, data)
end

readers[42] = function(sock, line, data) -- '*' array
	return read_aggregate(sock, line, count_of(line, data))
end

readers[95] = function() -- '_' null
	return true, nil
end

readers[35] = function(_, line, data) -- '#' boolean
	if data == "t" then
		return true, true
	elseif data == "f" then
		return true, false
	end
	bad_reply("boolean", line)
end

readers[44] = function(_, line, data) -- ',' double
	local v = tonumber(data) or double_words[data]
	if v == nil then
		bad_reply("double", line)
	end
	return true, v
end

readers[40] = function(_, line, data) -- '(' big number
	return true, integer_of(line, data)
end

readers[33] = function(sock, line, data) -- '!' blob error
	return false, read_blob(sock, line, data)
end

readers[61] = function(sock, line, data) -- '=' verbatim string: "txt:" + text
	local s = read_blob(sock, line, data)
	if s and sub(s, 4, 4) == ":" then
		s = sub(s, 5)
	end
	return true, s
end

readers[37] = function(sock, line, data) -- '%' map
	local n = count_of(line, data)
	return read_aggregate(sock, line, n < 0 and n or n * 2)
end

readers[126] = readers[42] -- '~' set
readers[62] = readers[42] -- '>' push

readers[124] = function(sock, line, data) -- '|' attributes, then the reply they annotate
	read_aggregate(sock, line, count_of(line, data) * 2)
	return read(sock)
end

function read(sock)
	local line = sock:readline "\r\n"
	local reader = readers[byte(line)]
	if reader == nil then
		bad_reply("type", line)
	end
	return reader(sock, line, sub(line, 2))
end

resp.read = read

-- Command encoding. The headers are cached: a handful of sizes and command
-- names cover almost every request.
local function cache(make)
	return setmetatable({}, {
		__mode = "kv",
		__index = function(t, k)
			local v = make(k)
			t[k] = v
			return v
		end,
	})
end

local array_header = cache(function(n) return "*" .. n .. "\r\n" end)
local bulk_header = cache(function(n) return "$" .. n .. "\r\n" end)
local command_bulk = cache(function(name)
	local upper = name:upper()
	return "$" .. #upper .. "\r\n" .. upper .. "\r\n"
end)

local function add_arg(out, i, v)
	if type(v) ~= "string" then
		v = tostring(v)
	end
	out[i] = bulk_header[#v]
	out[i + 1] = v
	out[i + 2] = "\r\n"
	return i + 3
end

-- name plus args[1 .. n] as one string
function resp.command(name, args, n)
	if n == 0 then
		return array_header[1] .. command_bulk[name]
	end
	local out = { array_header[n + 1], command_bulk[name] }
	local i = 3
	for k = 1, n do
		i = add_arg(out, i, args[k])
	end
	return concat(out, "", 1, i - 1)
end

-- one request of a pipeline: { "cmd", args... }, appended to out at i
function resp.append(out, i, op)
	local n = #op
	out[i] = array_header[n]
	i = i + 1
	for k = 1, n do
		i = add_arg(out, i, op[k])
	end
	return i
end

return resp
