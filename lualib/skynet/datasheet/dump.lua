-- skynet.datasheet.dump: datasheet blobs. dump(t) compiles a table, undump
-- reads one back as a plain table. diff(last, current) gives the blob that
-- turns `last` into `current`: here simply `current` (updates ship whole).
local core = require "skynet.datasheet.core"

local dump = {}

function dump.dump(t)
	return core.dump(t)
end

function dump.undump(blob)
	return core.undump(blob)
end

function dump.diff(_, current)
	return current
end

return dump
