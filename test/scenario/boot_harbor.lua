-- skynet.harbor and global names on a single node (cdummy + C harbor).
local skynet = require "skynet.manager"
local harbor = require "skynet.harbor"
local T = require "testlib"

skynet.start(function()
	local echo = skynet.newservice("svc_boot_echo", "harbor")

	T.case("globalname registers another service; queryname finds it", function()
		harbor.globalname("BOOTECHO", echo)
		T.eq(harbor.queryname "BOOTECHO", echo, "queryname")
		local pong, x = skynet.call("BOOTECHO", "lua", "ping", "x")
		T.eq(pong, "pong", "call through the global name")
		T.eq(x, "x", "argument")
	end)

	T.case("globalname defaults to the calling service", function()
		harbor.globalname "BOOTSELF"
		T.eq(harbor.queryname "BOOTSELF", skynet.self())
	end)

	T.case("skynet.register / skynet.name with global names", function()
		skynet.register "BOOTREG"
		T.eq(harbor.queryname "BOOTREG", skynet.self(), "register")
		skynet.name("BOOTNAMED", echo)
		T.eq(harbor.queryname "BOOTNAMED", echo, "name")
	end)

	T.case("queryname of a .name is a local lookup", function()
		T.eq(harbor.queryname ".launcher", skynet.localname ".launcher", ".launcher")
		T.eq(harbor.queryname ".no_such_name", nil, "unknown local name")
	end)

	T.case("queryname and calls wait until a global name is registered", function()
		local found, reply
		local left = 2
		local token = {}
		local function finish()
			left = left - 1
			if left == 0 then
				skynet.wakeup(token)
			end
		end
		skynet.fork(function()
			found = harbor.queryname "BOOTLATER"
			finish()
		end)
		skynet.fork(function()
			reply = table.pack(skynet.call("BOOTLATER", "lua", "ping", "queued"))
			finish()
		end)
		skynet.yield()
		harbor.queryname ".cslave"	-- handled after the fork's QUERYNAME
		T.eq(found, nil, "still waiting")
		T.eq(reply, nil, "call still queued")
		skynet.name("BOOTLATER", echo)
		if left > 0 then
			skynet.wait(token)
		end
		T.eq(found, echo, "queryname")
		T.eq(reply[1], "pong", "queued call delivered")
		T.eq(reply[2], "queued", "argument")
	end)

	T.case("link answers at once on a single node", function()
		harbor.link(1)
	end)

	T.case("a global name must be short and not a number", function()
		T.raises("", skynet.register, "A_NAME_THAT_IS_TOO_LONG")
		T.raises("", skynet.register, "1234")
	end)

	T.done()
end)
