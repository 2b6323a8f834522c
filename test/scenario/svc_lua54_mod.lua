-- A module in Lua 5.4 syntax, loaded through require's searcher.
local M = {}

local POLY <const> = 0xEDB88320

local crc_table = {}
for i = 0, 255 do
	local c = i
	for _ = 1, 8 do
		c = (c >> 1) ~ (POLY & -(c & 1))
	end
	crc_table[i] = c
end

function M.crc32(s)
	local crc = 0xFFFFFFFF
	for i = 1, #s do
		crc = crc_table[(crc ~ s:byte(i)) & 0xFF] ~ (crc >> 8)
	end
	return crc ~ 0xFFFFFFFF
end

-- Entity ids: 16-bit server, 8-bit kind, 32-bit serial in one integer.
function M.pack_id(server, kind, serial)
	return server << 40 | kind << 32 | serial
end

function M.unpack_id(id)
	return id >> 40, id >> 32 & 0xFF, id & 0xFFFFFFFF
end

-- Page p (1-based) of a list, and how many pages it has.
function M.page(list, p, per)
	local pages = (#list + per - 1) // per
	local first = (p - 1) * per + 1
	local out = {}
	for i = first, math.min(first + per - 1, #list) do
		out[#out + 1] = list[i]
	end
	return out, pages
end

function M.fail_here()
	return nil | 1 -- line 44
end

return M
