-- A service at its memlimit can still use the parts of skynet.lua that load
-- on first use (exit, term, the debug protocol, query): they load past the
-- limit. Without that, testmemlimit's service could not even exit.
local skynet = require "skynet"
local T = require "testlib"
local L = require "svc_skynetlib"

local results = {}
local waiting = {}

local function await(part)
	local deadline = skynet.now() + 500
	while not results[part] and skynet.now() < deadline do
		waiting[part] = coroutine.running()
		skynet.sleep(10)
	end
	return results[part]
end

local RESERVE = 4096 -- bytes of headroom: each part costs more to load

skynet.start(function()
	skynet.dispatch("lua", function(_, _, part, ...)
		results[part] = table.pack(...)
	end)
	local me = skynet.self()

	T.case("exit at the limit: the service is killed", function()
		-- it exits inside its start function: newservice has no address to return
		T.eq(skynet.newservice("svc_skynet_memfull", "exit", 0, me), nil)
		local launch = L.log_match("%[(:%x+)%] LAUNCH snlua svc_skynet_memfull exit")
		local addr = launch and launch:match "%[(:%x+)%]"
		T.ok(addr and L.log_find("[" .. addr .. "] KILL self"), "KILL self logged")
		T.eq(L.log_count "lua memory error", 0, "no memory error reported")
	end)

	T.case("term at the limit", function()
		skynet.newservice("svc_skynet_memfull", "term", RESERVE, me)
		local r = await "term"
		T.ok(r, "reported")
		T.eq(r and r[1], true, r and r[2])
	end)

	T.case("query at the limit", function()
		skynet.newservice("svc_skynet_memfull", "query", RESERVE, me)
		local r = await "query"
		T.ok(r, "reported")
		T.eq(r and r[1], true, r and r[2])
		T.eq(r and r[2], tostring(skynet.localname(".launcher")))
	end)

	T.case("the debug protocol at the limit", function()
		local s = skynet.newservice("svc_skynet_memfull", "debug", RESERVE, me)
		local ok, pong = pcall(skynet.call, s, "debug", "PING")
		T.eq(ok, true, tostring(pong))
	end)

	T.done()
end)
