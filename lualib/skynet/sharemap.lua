-- skynet.sharemap: one writer shares a sproto-typed record with readers in
-- other services through skynet.stm. The writer changes fields and commits
-- (a new encoded version); a reader sees the fields of the version it last
-- took, and update() takes the newest one.
--
--   sharemap.register "types.sp"                   -- schema, once per node
--   local w = sharemap.writer("foobar", { x = 0 })  -- w.x = 1; w:commit()
--   local r = sharemap.reader("foobar", w:copy())   -- in another service
--   r:update(); print(r.x)
local stm = require "skynet.stm"
local sprotoloader = require "sprotoloader"

local sharemap = {}

-- The schema lives in sprotoloader's slot 0, shared by every service.
local SLOT = 0

function sharemap.register(protofile)
	sprotoloader.register(protofile, SLOT)
end

local schema
local function types()
	schema = schema or sprotoloader.load(SLOT)
	return schema
end

-- Fields read and written on the object go to its record table; the methods
-- are found first.
local function record_view(methods, record, newindex)
	return setmetatable(methods, {
		__index = record,
		__newindex = newindex or record,
	})
end

function sharemap.writer(typename, record)
	local sp = types()
	record = record or {}
	local shared = stm.new(sp:encode(typename, record))
	local w = {}
	function w.commit()
		shared(sp:encode(typename, record))
	end
	function w.copy()
		return stm.copy(shared)
	end
	return record_view(w, record)
end

function sharemap.reader(typename, copy)
	local sp = types()
	local shared = stm.newcopy(copy)
	local record = {}
	-- a new version replaces every field: a field absent from it reads nil
	local function refill(msg, sz)
		for k in pairs(record) do
			record[k] = nil
		end
		return sp:decode(typename, msg, sz, record)
	end
	shared(refill)
	local r = {}
	function r.update()
		return shared(refill)
	end
	return record_view(r, record, function(_, k)
		error("sharemap reader is read-only: " .. tostring(k), 2)
	end)
end

return sharemap
