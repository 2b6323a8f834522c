-- Driven by test/node/runtime.sh: the config key `node_case` picks what to do.
local skynet = require "skynet"
require "skynet.manager"

local case = skynet.getenv "node_case"

local function say(...)
	print(...)
end

local cases = {}

function cases.idle()
	say("READY")
end

function cases.cservice()
	skynet.register_protocol {
		name = "text",
		id = skynet.PTYPE_TEXT,
		pack = function(s) return s end,
		unpack = skynet.tostring,
	}
	local h = skynet.launch("echotext", "unit_echo")
	assert(h, "echotext did not launch")
	local reply = skynet.call(".unit_echo", "text", "hi")
	say("CSERVICE " .. tostring(reply))
end

function cases.endless()
	skynet.fork(function()
		local x = 0
		while true do x = x + 1 end
	end)
	say("READY")
end

function cases.logon()
	local h = skynet.newservice "svc_node_echo"
	skynet.call(".launcher", "lua", "LIST") -- settle the launch
	local c = require "skynet.core"
	c.command("LOGON", skynet.address(h))
	skynet.call(h, "lua", "ping", "abc")
	c.command("LOGOFF", skynet.address(h))
	say("LOGGED " .. string.format("%08x", h))
	skynet.abort()
end

function cases.print()
	say("LINE1")
	say("LINE2")
end

function cases.userlog()
	skynet.error("to the lua logger")
	say("READY")
end

skynet.start(function()
	cases[case]()
end)
