-- Questions a service rarely asks: skynet.localname, skynet.harbor,
-- skynet.stat, skynet.mqlen, skynet.endless. Loaded by skynet.lua on first
-- use (keeping them out keeps the skynet table, in every service, small).

local c = require "skynet.core"

return function(skynet)
	local cintcommand = c.intcommand

	function skynet.localname(name)
		return c.addresscommand("QUERY", name)
	end

	function skynet.harbor(addr)
		return c.harbor(addr)
	end

	function skynet.endless()
		return cintcommand("STAT", "endless") == 1
	end

	function skynet.mqlen()
		return cintcommand("STAT", "mqlen")
	end

	function skynet.stat(what)
		return cintcommand("STAT", what)
	end
end
