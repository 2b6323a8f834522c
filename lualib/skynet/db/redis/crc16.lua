-- CRC-16/XMODEM (polynomial 0x1021, initial 0, no reflection): the hash
-- redis cluster puts on keys. crc16 "123456789" == 0x31c3.
-- Written with LuaJIT's bit library: no Lua 5.4 operators.
local bit = require "bit"
local band, bxor, lshift, rshift = bit.band, bit.bxor, bit.lshift, bit.rshift
local byte = string.byte

local table16 = {}
for i = 0, 255 do
	local crc = lshift(i, 8)
	for _ = 1, 8 do
		if band(crc, 0x8000) ~= 0 then
			crc = bxor(lshift(crc, 1), 0x1021)
		else
			crc = lshift(crc, 1)
		end
	end
	table16[i] = band(crc, 0xffff)
end

return function(s)
	local crc = 0
	for i = 1, #s do
		local index = bxor(rshift(crc, 8), byte(s, i))
		crc = bxor(band(lshift(crc, 8), 0xffff), table16[index])
	end
	return crc
end
