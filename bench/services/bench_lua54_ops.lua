-- lua54_bitops: CRC32 (table driven) and xorshift32, written with Lua 5.4's
-- operators. Loads on our node (translated) and on upstream skynet alike.
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

-- One round: the CRC32 of s, mixed with 1024 steps of xorshift32 from seed.
function M.round(s, seed)
	local crc = 0xFFFFFFFF
	for i = 1, #s do
		crc = crc_table[(crc ~ s:byte(i)) & 0xFF] ~ (crc >> 8)
	end
	crc = crc ~ 0xFFFFFFFF
	local x = seed
	for _ = 1, 1024 do
		x = x ~ (x << 13) & 0xFFFFFFFF
		x = x ~ (x >> 17)
		x = x ~ (x << 5) & 0xFFFFFFFF
	end
	return crc ~ x
end

return M
