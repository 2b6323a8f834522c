-- sprotoloader: a schema parsed once, shared by every service of the process
-- through one of sproto.core's 16 global slots.
--   register(file, slot) / save(binary, slot) in one service (often at boot),
--   load(slot) -> sproto object in the others.
local parser = require "sprotoparser"
local core = require "sproto.core"
local sproto = require "sproto"

local loader = {}

function loader.register(filename, index)
	local f = assert(io.open(filename), "Can't open sproto file")
	local text = f:read "*a"
	f:close()
	core.saveproto(core.newproto(parser.parse(text)), index)
end

function loader.save(bin, index)
	core.saveproto(core.newproto(bin), index)
end

function loader.load(index)
	return sproto.sharenew(core.loadproto(index))
end

return loader
