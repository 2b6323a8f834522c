-- sprotoparser: schema text -> schema binary (the same bytes as upstream's
-- LPeg parser), with a native parser so that no lpeg.so is needed.
local core = require "sproto.parser"

local parser = {}

-- parse(text[, name]): name is how syntax errors refer to the text.
function parser.parse(text, name)
	return core.parse(text, name or "=text")
end

-- Prints a binary as hex, 16 bytes a line, a dash between the halves.
function parser.dump(str)
	local line = {}
	for i = 1, #str do
		line[#line + 1] = string.format("%02X ", str:byte(i))
		if i % 16 == 0 then
			print(table.concat(line))
			line = {}
		elseif i % 8 == 0 then
			line[#line + 1] = "- "
		end
	end
	print(table.concat(line))
end

return parser
