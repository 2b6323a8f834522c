-- Speaks custom protocols for skynet_proto.
local skynet = require "skynet"
require "skynet.manager"
local mode = ...

local seen = {}	-- observations, fetched with lua "seen"

local function text_pack(...)
	return table.concat({ ... }, " ")
end

skynet.register_protocol {
	name = "text",
	id = skynet.PTYPE_TEXT,
	pack = text_pack,
	unpack = skynet.tostring,
	dispatch = function(session, source, msg)
		seen.text = msg
		if session ~= 0 then
			skynet.ret("text:" .. msg)
		end
	end,
}

-- a protocol with its own encoding: "k=v;k=v"
skynet.register_protocol {
	name = "kv",
	id = 101,
	pack = function(t)
		local parts = {}
		for k, v in pairs(t) do
			parts[#parts + 1] = k .. "=" .. v
		end
		table.sort(parts)
		return table.concat(parts, ";")
	end,
	unpack = function(msg, sz)
		local t = {}
		for k, v in skynet.tostring(msg, sz):gmatch "(%w+)=(%w+)" do
			t[k] = v
		end
		return t
	end,
	dispatch = function(session, source, t)
		t.reply = "yes"
		skynet.ret(skynet._proto.kv.pack(t))
	end,
}

-- registered but without a dispatch function
skynet.register_protocol {
	name = "mute",
	id = 102,
	pack = skynet.pack,
	unpack = skynet.unpack,
}

-- its unpack always fails
skynet.register_protocol {
	name = "badunpack",
	id = 104,
	unpack = function() error "unpack-failed-3b" end,
	dispatch = function() skynet.ret "unreachable" end,
}

local CMD = {}

function CMD.seen(k)
	return seen[k]
end

function CMD.catch_unknown()
	skynet.dispatch_unknown_request(function(session, source, msg, sz, prototype)
		seen.unknown = string.format("%s %s %s", prototype, skynet.address(source), skynet.tostring(msg, sz))
	end)
	return true
end

function CMD.mark(text)
	skynet.error(text)
	return true
end

local function lua_dispatch(session, _, cmd, ...)
	skynet.retpack(CMD[cmd](...))
end

if mode == "filter" then
	-- every message passes through f first; lua calls get their first arg upper-cased
	skynet.filter(function(ptype, msg, sz, session, source)
		if ptype == skynet.PTYPE_LUA then
			-- the framework frees the original buffer; pass a string on
			local args = table.pack(skynet.unpack(msg, sz))
			if type(args[2]) == "string" then
				args[2] = args[2]:upper()
			end
			msg = skynet.packstring(table.unpack(args, 1, args.n))
			sz = #msg
		end
		return ptype, msg, sz, session, source
	end, function()
		skynet.dispatch("lua", lua_dispatch)
	end)
elseif mode == "forward" then
	-- client messages are handled as kv messages, the buffer left to us
	skynet.forward_type({ [skynet.PTYPE_CLIENT] = 101 }, function()
		skynet.dispatch("lua", lua_dispatch)
	end)
else
	skynet.start(function()
		skynet.dispatch("lua", lua_dispatch)
	end)
end
