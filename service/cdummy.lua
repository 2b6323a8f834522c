-- Harbor slave of a single-node (harbor = 0) skynet, named ".cslave". It owns
-- the global name table and starts the C harbor service, which routes
-- messages sent to global names.
local skynet = require "skynet.manager"

local names = {}	-- global name -> handle
local waiting = {}	-- global name -> responses of QUERYNAME callers
local harbor_service
local harbor = {}

local function passthrough(...)
	return ...
end

skynet.register_protocol {
	name = "harbor",
	id = skynet.PTYPE_HARBOR,
	pack = passthrough,
	unpack = skynet.tostring,
}

skynet.register_protocol {
	name = "text",
	id = skynet.PTYPE_TEXT,
	pack = passthrough,
	unpack = skynet.tostring,
}

function harbor.REGISTER(name, handle)
	assert(names[name] == nil, "global name already registered")
	names[name] = handle
	local queue = waiting[name]
	if queue then
		waiting[name] = nil
		for _, response in ipairs(queue) do
			response(true, handle)
		end
	end
	-- tell the C harbor, on behalf of the owner, so it can deliver queued messages
	skynet.redirect(harbor_service, handle, "harbor", 0, "N " .. name)
end

-- ".name" is looked up locally; a global name blocks until it is registered.
function harbor.QUERYNAME(name)
	if name:byte() == 46 then	-- '.'
		skynet.ret(skynet.pack(skynet.localname(name)))
		return
	end
	local handle = names[name]
	if handle then
		skynet.ret(skynet.pack(handle))
		return
	end
	local queue = waiting[name]
	if not queue then
		queue = {}
		waiting[name] = queue
	end
	table.insert(queue, skynet.response())
end

-- There is no other harbor that could go down.
function harbor.LINK()
	skynet.ret()
end

-- There is no other harbor to connect to: the caller is never answered.
function harbor.CONNECT()
	skynet.error("Can't connect to other harbor in single node mode")
end

skynet.start(function()
	local harbor_id = tonumber(skynet.getenv "harbor")
	assert(harbor_id == 0, "cdummy is for harbor = 0 only")

	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = assert(harbor[cmd])
		f(...)
	end)
	-- the C harbor asks "Q name" for unknown names; REGISTER answers it anyway
	skynet.dispatch("text", function() end)

	harbor_service = assert(skynet.launch("harbor", harbor_id, skynet.self()))
end)
