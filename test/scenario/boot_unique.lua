-- service_mgr: uniqueservice / queryservice, local and global, and its replies.
local skynet = require "skynet.manager"
local harbor = require "skynet.harbor"
local datacenter = require "skynet.datacenter"
local T = require "testlib"

local function service_list()
	return skynet.call(".service", "lua", "LIST")
end

local function count(s, pattern)
	return select(2, s:gsub(pattern, ""))
end

skynet.start(function()
	T.case("service_mgr is .service and the global SERVICE", function()
		local mgr = skynet.localname ".service"
		T.eq(type(mgr), "number", ".service")
		T.eq(harbor.queryname "SERVICE", mgr, "SERVICE")
	end)

	T.case("unknown command replies nil, \"Invalid command X\"", function()
		local r, err = skynet.call(".service", "lua", "FROB")
		T.eq(r, nil)
		T.eq(err, "Invalid command FROB")
		r, err = skynet.call("SERVICE", "lua", "launch")
		T.eq(r, nil, "commands are case-sensitive")
		T.eq(err, "Invalid command launch")
	end)

	T.case("concurrent uniqueservice callers share one launch; later args are ignored", function()
		local results = {}
		local left = 3
		local token = {}
		for i, tag in ipairs { "first", "second", "third" } do
			skynet.fork(function()
				results[i] = table.pack(pcall(skynet.uniqueservice, "svc_boot_gated", "unique", tag))
				left = left - 1
				if left == 0 then
					skynet.wakeup(token)
				end
			end)
		end
		skynet.yield()	-- the forks have sent their LAUNCH requests
		-- handled after those three requests: one launching, two waiting
		local entry = service_list().svc_boot_gated
		T.eq(type(entry), "string", "listed while launching")
		T.ok(entry:find("Init as :", 1, true), "launch described: " .. entry)
		T.ok(entry:find("Querying:", 1, true), "waiters described: " .. entry)
		T.eq(count(entry, "\n" .. skynet.address(skynet.self()) .. " "), 2, "waiting callers")
		T.eq(left, 3, "nobody answered yet")

		datacenter.set("gate", "unique", true)
		if left > 0 then
			skynet.wait(token)
		end
		local handle = results[1][2]
		for i = 1, 3 do
			T.eq(results[i][1], true, "caller " .. i .. " succeeded")
			T.eq(results[i][2], handle, "caller " .. i .. " got the same handle")
		end
		local a, b = skynet.call(handle, "lua", "args")
		T.eq(a, "unique", "arg 1")
		T.eq(b, "first", "the first caller's args")
		T.eq(skynet.uniqueservice("svc_boot_gated", "again"), handle, "a later call")
		T.eq(service_list().svc_boot_gated, skynet.address(handle), "listed as its address")
	end)

	T.case("a failed launch is remembered and re-raised", function()
		T.raises("call failed", skynet.uniqueservice, "svc_boot_fail")
		local entry = service_list().svc_boot_fail
		T.ok(entry:find("^Error: .*call failed"), "listed as " .. tostring(entry))
		T.raises("call failed", skynet.uniqueservice, "svc_boot_fail")
		T.raises("call failed", skynet.queryservice, "svc_boot_fail")
		local r, err = skynet.call(".service", "lua", "QUERY", "svc_boot_fail")
		T.eq(r, nil)
		T.ok(tostring(err):find("call failed", 1, true), "reply error " .. tostring(err))
	end)

	T.case("queryservice blocks until somebody launches the service", function()
		local got
		local token = {}
		skynet.fork(function()
			got = skynet.queryservice "svc_boot_echo"
			skynet.wakeup(token)
		end)
		skynet.yield()
		local entry = service_list().svc_boot_echo
		T.ok(entry:find("Querying:", 1, true), "waiting: " .. tostring(entry))
		T.eq(got, nil, "still blocked")
		local handle = skynet.uniqueservice("svc_boot_echo", "q")
		if not got then
			skynet.wait(token)
		end
		T.eq(got, handle, "queryservice result")
		T.eq(skynet.queryservice "svc_boot_echo", handle, "once launched, immediate")
		T.eq(skynet.call(handle, "lua", "args"), "q", "args")
	end)

	T.case("global uniqueservice is a separate instance under @name", function()
		local local_one = skynet.queryservice "svc_boot_echo"
		local global_one = skynet.uniqueservice(true, "svc_boot_echo", "g")
		T.ok(global_one ~= local_one, "distinct instance")
		T.eq(skynet.uniqueservice(true, "svc_boot_echo", "other"), global_one, "unique")
		T.eq(skynet.queryservice(true, "svc_boot_echo"), global_one, "query")
		T.eq(skynet.call(global_one, "lua", "args"), "g", "args")
		T.eq(service_list()["@svc_boot_echo"], skynet.address(global_one), "listed")
	end)

	T.done()
end)
