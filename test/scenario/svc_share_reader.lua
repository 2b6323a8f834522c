-- Reads sharedata through its own proxies, for the sharedata scenario.
local skynet = require "skynet"
local sharedata = require "skynet.sharedata"

local held = {}

local CMD = {}

-- The value at name.k1.k2...
function CMD.read(name, ...)
	local v = sharedata.query(name)
	for _, k in ipairs({ ... }) do
		v = v[k]
	end
	return v
end

function CMD.len(name, ...)
	local v = sharedata.query(name)
	for _, k in ipairs({ ... }) do
		v = v[k]
	end
	return #v
end

-- Keep name.key as a sub-proxy; `held` reads through it later.
function CMD.hold(name, key)
	held[key] = sharedata.query(name)[key]
end

function CMD.held(key, field)
	local ok, v = pcall(function() return held[key][field] end)
	return ok, v
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		skynet.ret(skynet.pack(CMD[cmd](...)))
	end)
end)
