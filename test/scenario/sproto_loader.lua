-- sprotoloader across services: one service saves schemas in the global
-- slots (from a binary and from a file), others load them and talk through a
-- sproto host, request and response, over skynet messages.
local skynet = require "skynet"
local sproto = require "sproto"
local sprotoloader = require "sprotoloader"
local sprotoparser = require "sprotoparser"
local T = require "testlib"

local schema = [[
.package {
	type 0 : integer
	session 1 : integer
}
.Item { id 0 : integer  name 1 : string }
get 1 {
	request { id 0 : integer }
	response { item 0 : Item  tags 1 : *string }
}
bye 2 {}
]]

local mode = ...

local function server()
	local sp = sprotoloader.load(1)
	local host = sp:host "package"
	skynet.dispatch("lua", function(_, _, packet)
		local what, name, args, respond = host:dispatch(packet)
		assert(what == "REQUEST")
		if name == "get" then
			skynet.ret(skynet.pack(respond { item = { id = args.id, name = "item" .. args.id }, tags = { "a", "b" } }))
		else
			skynet.ret(skynet.pack(respond == nil))
		end
	end)
end

skynet.start(function()
	if mode == "server" then
		return server()
	end
	T.case("save and load a binary across services", function()
		sprotoloader.save(sprotoparser.parse(schema), 1)
		local sp = sprotoloader.load(1)
		T.ok(sp:exist_type "Item" and sp:exist_proto "get" and not sp:exist_proto "nope")
		local srv = skynet.newservice(SERVICE_NAME, "server")
		local host = sp:host "package"
		local request = host:attach(sp)
		for session = 1, 3 do
			local reply = skynet.call(srv, "lua", request("get", { id = session * 10 }, session))
			local what, s, result = host:dispatch(reply)
			T.eq(what, "RESPONSE")
			T.eq(s, session)
			T.eq(result.item.name, "item" .. session * 10)
			T.eq(table.concat(result.tags, ","), "a,b")
		end
		T.eq(skynet.call(srv, "lua", request "bye"), true, "no session: no responder")
		skynet.kill(srv)
	end)
	T.case("register a schema file", function()
		local path = skynet.getenv "scenario_tmp" .. "/loader.sproto"
		local f = assert(io.open(path, "w"))
		f:write(schema)
		f:close()
		sprotoloader.register(path, 2)
		local sp = sprotoloader.load(2)
		T.eq(sp:decode("Item", sp:encode("Item", { id = 7, name = "x" })).name, "x")
		T.raises("Can't open sproto file", sprotoloader.register, path .. ".missing", 3)
		T.raises("nil sproto at index 4", sprotoloader.load, 4)
		T.raises("Invalid global slot index 16", sprotoloader.load, 16)
	end)
	T.case("sproto.parse, pencode/pdecode, default, a bad packet", function()
		local sp = sproto.parse(schema)
		local t = sp:pdecode("Item", sp:pencode("Item", { id = 1, name = "n" }))
		T.eq(t.id, 1)
		T.eq(sp:default("Item").name, "")
		T.raises("decode error", sp.decode, sp, "Item", "\1")
		T.raises("Invalid unpack stream", sp.pdecode, sp, "Item", "\255")
	end)
	T.done()
end)
