-- URL helpers for request targets: path and query splitting, form decoding.
local string = string
local tonumber = tonumber
local type = type

local url = {}

local function unhex(h)
	return string.char(tonumber(h, 16))
end

local function unescape(s)
	s = s:gsub("+", " ")
	return (s:gsub("%%(%x%x)", unhex))
end

-- parse("/path?query") -> decoded path, raw query ("" when absent)
function url.parse(u)
	local path, query = u:match "^([^?]*)%??(.*)$"
	return unescape(path), query
end

-- parse_query("a=1&b=2&a=3") -> { a = { "1", "3" }, b = "2" }
function url.parse_query(q)
	local r = {}
	for k, v in q:gmatch "([^&=]*)=([^&]*)" do
		k, v = unescape(k), unescape(v)
		local old = r[k]
		if old == nil then
			r[k] = v
		elseif type(old) == "table" then
			old[#old + 1] = v
		else
			r[k] = { old, v }
		end
	end
	return r
end

return url
