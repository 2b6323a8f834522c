-- sproto: schema objects and the request/response host over sproto.core.
--
--   local sp = sproto.parse(text)          -- or sproto.new(binary)
--   local bin = sp:encode("Person", t)     -- sp:decode("Person", bin) -> t, bytes read
--   local host = sp:host "package"         -- the header type of each packet
--   local request = host:attach(sp)        -- request(name, args, session, ud) -> packet
--   host:dispatch(packet)                  -- "REQUEST", name, args, response, ud
--                                          -- "RESPONSE", session, args, ud
local core = require "sproto.core"

local sproto = {}
local host = {}

local weak_mt = { __mode = "kv" }
local owned_mt = { __index = sproto }	-- frees the schema when collected
local shared_mt = { __index = sproto }	-- a schema from sprotoloader: never freed
local host_mt = { __index = host }

function owned_mt:__gc()
	core.deleteproto(self.__cobj)
end

local function wrap(cobj, mt)
	return setmetatable({
		__cobj = cobj,
		__tcache = setmetatable({}, weak_mt),
		__pcache = setmetatable({}, weak_mt),
	}, mt)
end

function sproto.new(bin)
	local cobj = assert(core.newproto(bin))
	return wrap(cobj, owned_mt)
end

function sproto.sharenew(cobj)
	return wrap(cobj, shared_mt)
end

function sproto.parse(text)
	local parser = require "sprotoparser"
	return sproto.new(parser.parse(text))
end

local function querytype(self, typename)
	local st = self.__tcache[typename]
	if not st then
		st = assert(core.querytype(self.__cobj, typename), "type not found")
		self.__tcache[typename] = st
	end
	return st
end

function sproto:exist_type(typename)
	if self.__tcache[typename] then
		return true
	end
	return core.querytype(self.__cobj, typename) ~= nil
end

function sproto:encode(typename, tbl)
	return core.encode(querytype(self, typename), tbl)
end

function sproto:decode(typename, ...)
	return core.decode(querytype(self, typename), ...)
end

function sproto:pencode(typename, tbl)
	return core.pack(core.encode(querytype(self, typename), tbl))
end

function sproto:pdecode(typename, ...)
	return core.decode(querytype(self, typename), core.unpack(...))
end

-- { name, tag, request, response } by name or by tag
local function queryproto(self, pname)
	local p = self.__pcache[pname]
	if p then
		return p
	end
	local key, request, response = core.protocol(self.__cobj, pname)
	assert(key, pname .. " not found")
	local name, tag = pname, key
	if tonumber(pname) then
		name, tag = key, pname
	end
	p = { name = name, tag = tag, request = request, response = response }
	self.__pcache[name] = p
	self.__pcache[tag] = p
	return p
end
sproto.queryproto = queryproto

function sproto:exist_proto(pname)
	if self.__pcache[pname] then
		return true
	end
	return core.protocol(self.__cobj, pname) ~= nil
end

function sproto:request_encode(pname, tbl)
	local p = queryproto(self, pname)
	if p.request then
		return core.encode(p.request, tbl), p.tag
	end
	return "", p.tag
end

function sproto:response_encode(pname, tbl)
	local p = queryproto(self, pname)
	if p.response then
		return core.encode(p.response, tbl)
	end
	return ""
end

function sproto:request_decode(pname, ...)
	local p = queryproto(self, pname)
	if p.request then
		return core.decode(p.request, ...), p.name
	end
	return nil, p.name
end

function sproto:response_decode(pname, ...)
	local p = queryproto(self, pname)
	if p.response then
		return core.decode(p.response, ...)
	end
end

sproto.pack = core.pack
sproto.unpack = core.unpack

function sproto:default(typename, which)
	if which == nil then
		return core.default(querytype(self, typename))
	end
	local p = queryproto(self, typename)
	if which == "REQUEST" then
		if p.request then
			return core.default(p.request)
		end
	elseif which == "RESPONSE" then
		if p.response then
			return core.default(p.response)
		end
	else
		error "Invalid type"
	end
end

-- The package header of every packet: { type, session, ud }. One table is
-- reused: encode/decode never yield, so nothing can interleave.
local header = {}

local function set_header(type, session, ud)
	header.type = type
	header.session = session
	header.ud = ud
end

function sproto:host(packagename)
	packagename = packagename or "package"
	return setmetatable({
		__proto = self,
		__package = assert(core.querytype(self.__cobj, packagename), "type package not found"),
		__session = {},
	}, host_mt)
end

local function responder(self, response, session)
	return function(args, ud)
		set_header(nil, session, ud)
		local head = core.encode(self.__package, header)
		if response then
			return core.pack(head .. core.encode(response, args))
		end
		return core.pack(head)
	end
end

function host:dispatch(...)
	local bin = core.unpack(...)
	set_header(nil, nil, nil)
	local head, size = core.decode(self.__package, bin, header)
	local content = bin:sub(size + 1)
	if head.type then
		local p = queryproto(self.__proto, head.type)
		local args
		if p.request then
			args = core.decode(p.request, content)
		end
		if header.session then
			return "REQUEST", p.name, args, responder(self, p.response, header.session), head.ud
		end
		return "REQUEST", p.name, args, nil, head.ud
	end
	local session = assert(header.session, "session not found")
	local response = assert(self.__session[session], "Unknown session")
	self.__session[session] = nil
	if response == true then
		return "RESPONSE", session, nil, head.ud
	end
	return "RESPONSE", session, core.decode(response, content), head.ud
end

function host:attach(sp)
	return function(name, args, session, ud)
		local p = queryproto(sp, name)
		set_header(p.tag, session, ud)
		local head = core.encode(self.__package, header)
		if session then
			self.__session[session] = p.response or true
		end
		if p.request then
			return core.pack(head .. core.encode(p.request, args))
		end
		return core.pack(head)
	end
end

return sproto
