-- Unique service behind skynet.service: launches each named service cell
-- once, from the code it is given, and answers who serves a name.
local skynet = require "skynet"

local provider = {}

-- name -> { address = handle | error = msg | booting = true,
--           queue = responses waiting for the boot (nil once settled),
--           init = args as text, time = boot time }
local services = setmetatable({}, {
	__index = function(t, name)
		local s = { queue = {} }
		t[name] = s
		return s
	end,
})

local function settle(s, ok, result)
	local queue = s.queue
	s.queue = nil
	for _, response in ipairs(queue) do
		if ok then
			response(true, result)
		else
			response(false)
		end
	end
end

-- blocks while the name is not launched yet
function provider.query(name)
	local s = services[name]
	if s.queue then
		table.insert(s.queue, skynet.response())
	elseif s.address then
		skynet.ret(skynet.pack(s.address))
	else
		error(s.error)
	end
end

local function boot(address, s, code, ...)
	skynet.call(address, "lua", "init", code, ...)
	local n = select("#", ...)
	if n > 0 then
		local args = { ... }
		for i = 1, n do
			args[i] = tostring(args[i])
		end
		s.init = table.concat(args, ",", 1, n)
	end
	s.time = skynet.time()
end

function provider.launch(name, code, ...)
	local s = services[name]
	if s.address then
		skynet.ret(skynet.pack(s.address))
		return
	end
	if s.booting then
		table.insert(s.queue, skynet.response())
		return
	end
	s.booting = true
	local ok, address = pcall(skynet.newservice, "service_cell", name)
	local err
	if ok then
		ok, err = xpcall(boot, debug.traceback, address, s, code, ...)
	else
		err, address = address, nil
	end
	s.booting = nil
	if ok then
		s.address = address
		settle(s, true, address)
		skynet.ret(skynet.pack(address))
		return
	end
	if address then
		skynet.send(address, "debug", "EXIT")
	end
	s.error = err
	settle(s, false)
	error(err)
end

-- address | nil, true (booting) | nil (unknown) | error (launch failed)
function provider.test(name)
	local s = services[name]
	if s.booting then
		skynet.ret(skynet.pack(nil, true))
	elseif s.address then
		skynet.ret(skynet.pack(s.address))
	elseif s.error then
		error(s.error)
	else
		skynet.ret()
	end
end

-- Forget name and return its address, for the caller to kill.
function provider.close(name)
	local s = rawget(services, name)
	if not s or s.booting then
		skynet.ret(skynet.pack(nil))
		return
	end
	services[name] = nil
	skynet.ret(skynet.pack(s.address))
end

local function info()
	local result = {}
	for name, s in pairs(services) do
		local status
		if s.booting then
			status = "booting"
		elseif s.queue then
			status = "waiting(" .. #s.queue .. ")"
		end
		local time
		if s.time then
			time = os.date("%Y %b %d %T %z", math.floor(s.time))
		end
		result[skynet.address(s.address)] = {
			init = s.init,
			name = name,
			time = time,
			status = status,
		}
	end
	return result
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		provider[cmd](...)
	end)
	skynet.info_func(info)
end)
