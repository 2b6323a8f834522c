-- register_protocol, dispatch, unknown protocols and message callbacks.
local skynet = require "skynet.manager"
local T = require "testlib"
local L = require "svc_skynetlib"

skynet.register_protocol {
	name = "text",
	id = skynet.PTYPE_TEXT,
	pack = function(...) return table.concat({ ... }, " ") end,
	unpack = skynet.tostring,
}

local function kv_pack(t)
	local parts = {}
	for k, v in pairs(t) do
		parts[#parts + 1] = k .. "=" .. v
	end
	table.sort(parts)
	return table.concat(parts, ";")
end

local function kv_unpack(msg, sz)
	return skynet.tostring(msg, sz)
end

skynet.register_protocol { name = "kv", id = 101, pack = kv_pack, unpack = kv_unpack }
skynet.register_protocol { name = "mute", id = 102, pack = skynet.pack, unpack = skynet.unpack }
skynet.register_protocol { name = "nobody", id = 103, pack = skynet.pack, unpack = skynet.unpack }
skynet.register_protocol { name = "badunpack", id = 104, pack = skynet.pack, unpack = skynet.unpack }
skynet.register_protocol { name = "client", id = skynet.PTYPE_CLIENT, pack = kv_pack, unpack = kv_unpack }

skynet.start(function()
	local svc = skynet.newservice "svc_skynet_proto"

	T.case("a text protocol: string pack/unpack both ways", function()
		T.eq(skynet.call(svc, "text", "hello", "world"), "text:hello world")
		skynet.send(svc, "text", "sent")
		T.eq(skynet.call(svc, "lua", "seen", "text"), "sent")
	end)

	T.case("a protocol with its own encoding", function()
		T.eq(skynet.call(svc, "kv", { a = "1", b = "2" }), "a=1;b=2;reply=yes")
	end)

	T.case("register_protocol refuses duplicates and bad ids", function()
		T.raises("assertion failed", skynet.register_protocol, { name = "kv", id = 120 })
		T.raises("assertion failed", skynet.register_protocol, { name = "kv2", id = 101 })
		T.raises("assertion failed", skynet.register_protocol, { name = "big", id = 256 })
		T.raises("assertion failed", skynet.register_protocol, { name = "neg", id = -1 })
		T.raises("assertion failed", skynet.register_protocol, { name = 5, id = 130 })
	end)

	T.case("the protocol table is indexed by name and id", function()
		T.eq(skynet._proto.kv, skynet._proto[101])
		T.eq(skynet._proto.lua.id, skynet.PTYPE_LUA)
		T.eq(skynet._proto.error.id, skynet.PTYPE_ERROR)
		T.eq(skynet._proto.response.id, skynet.PTYPE_RESPONSE)
	end)

	T.case("dispatch returns the previous handler, or the current one", function()
		local function h1() end
		local function h2() end
		T.eq(skynet.dispatch("kv"), nil, "none yet")
		T.eq(skynet.dispatch("kv", h1), nil)
		T.eq(skynet.dispatch("kv", h2), h1)
		T.eq(skynet.dispatch("kv"), h2)
		T.eq(skynet.dispatch("no such proto"), nil)
	end)

	T.case("call with a protocol the callee doesn't know: call failed", function()
		T.raises("call failed", skynet.call, svc, "nobody", 1)
	end)

	T.case("call with a protocol the callee registered without dispatch: call failed", function()
		T.raises("call failed", skynet.call, svc, "mute", 1)
	end)

	T.case("a request the callee can't unpack: call failed, error logged", function()
		T.raises("call failed", skynet.call, svc, "badunpack", 1)
		T.ok(L.log_find "unpack-failed-3b", "logged")
		T.eq(skynet.call(svc, "lua", "seen", "text"), "sent", "callee alive")
	end)

	T.case("unknown sends are logged by the callee", function()
		skynet.send(svc, "nobody", "ping")
		skynet.send(svc, "mute", "ping")
		skynet.call(svc, "lua", "mark", "proto-mark-1")
		T.ok(L.log_find "proto-mark-1", "callee marker")
		T.ok(L.log_find "Unknown request (103): ", "unregistered id")
		T.ok(L.log_find "Unknown request (mute): ", "registered name")
		T.ok(L.log_find(string.format("Unknown session : 0 from %x", skynet.self())), "error raised")
	end)

	T.case("dispatch_unknown_request installs a handler", function()
		skynet.call(svc, "lua", "catch_unknown")
		skynet.send(svc, "nobody", "x")
		T.eq(skynet.call(svc, "lua", "seen", "unknown"):match "^103 :%x+ ", "103 " .. skynet.address(skynet.self()) .. " ")
	end)

	T.case("an unexpected response is logged as such", function()
		skynet.redirect(svc, skynet.self(), "response", 77777, "stray-answer")
		skynet.call(svc, "lua", "mark", "proto-mark-2")
		T.ok(L.log_find "proto-mark-2", "callee marker")
		T.ok(L.log_find "Response message : stray-answer", "logged")
		T.ok(L.log_find(string.format("Unknown session : 77777 from %x", skynet.self())), "error")
	end)

	T.case("filter sees every message first", function()
		local f = skynet.newservice("svc_skynet_proto", "filter")
		T.eq(skynet.call(f, "lua", "mark", "filtered-text-a1"), true)
		T.ok(L.log_find "FILTERED-TEXT-A1", "the filter rewrote the argument")
	end)

	T.case("forward_type re-dispatches a type as another", function()
		local f = skynet.newservice("svc_skynet_proto", "forward")
		T.eq(skynet.call(f, "client", { k = "v" }), "k=v;reply=yes")
		T.eq(skynet.call(f, "lua", "seen", "text"), nil, "lua still works")
	end)

	T.done()
end)
