-- lua54_bitops_hand: bench_lua54_ops.lua's round written with LuaJIT's bit.*
-- by hand (signed 32-bit values, made unsigned at the end).
local bit = require "bit"
local band, bxor, lshift, rshift = bit.band, bit.bxor, bit.lshift, bit.rshift
local byte = string.byte

local M = {}

local crc_table = {}
for i = 0, 255 do
	local c = i
	for _ = 1, 8 do
		c = bxor(rshift(c, 1), band(0xEDB88320, -band(c, 1)))
	end
	crc_table[i] = c
end

function M.round(s, seed)
	local crc = -1
	for i = 1, #s do
		crc = bxor(crc_table[band(bxor(crc, byte(s, i)), 0xFF)], rshift(crc, 8))
	end
	crc = bxor(crc, -1)
	local x = seed
	for _ = 1, 1024 do
		x = bxor(x, lshift(x, 13))
		x = bxor(x, rshift(x, 17))
		x = bxor(x, lshift(x, 5))
	end
	return bxor(crc, x) % 4294967296
end

return M
