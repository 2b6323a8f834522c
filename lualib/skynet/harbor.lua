-- Global names and harbor links, served by the harbor slave ".cslave"
-- (cdummy on a single node, cslave otherwise).
local skynet = require "skynet"

local SLAVE = ".cslave"

local harbor = {}

function harbor.globalname(name, handle)
	skynet.send(SLAVE, "lua", "REGISTER", name, handle or skynet.self())
end

-- ".name" is a local lookup; a global name blocks until it is registered.
function harbor.queryname(name)
	return skynet.call(SLAVE, "lua", "QUERYNAME", name)
end

-- returns when harbor id goes down
function harbor.link(id)
	skynet.call(SLAVE, "lua", "LINK", id)
end

-- returns when harbor id is connected
function harbor.connect(id)
	skynet.call(SLAVE, "lua", "CONNECT", id)
end

-- returns when the connection to the master is lost
function harbor.linkmaster()
	skynet.call(SLAVE, "lua", "LINKMASTER")
end

return harbor
