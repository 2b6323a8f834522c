-- skynet.request / select: parallel calls, failures, timeouts, close.
local skynet = require "skynet.manager"
local T = require "testlib"

skynet.start(function()
	local callee = skynet.newservice "svc_skynet_callee"

	T.case("answers come as they finish, each with its request", function()
		local order = {}
		local req = skynet.request
			{ callee, "lua", "sleep", 30, "30" }
			{ callee, "lua", "sleep", 10, "10" }
			{ callee, "lua", "sleep", 20, "20", tag = "t20" }
		for r, resp in req:select() do
			T.eq(type(resp), "table")
			T.eq(resp[1], r[5], "answer matches its request")
			order[#order + 1] = resp[1]
			if resp[1] == "20" then
				T.eq(r.tag, "t20", "extra fields kept")
			end
		end
		T.eq(table.concat(order, ","), "10,20,30")
	end)

	T.case("resp holds every result, with n", function()
		for _, resp in skynet.request { callee, "lua", "echo", 1, nil, 3 }:select() do
			T.eq(resp.n, 3)
			T.eq(resp[1], 1)
			T.eq(resp[2], nil)
			T.eq(resp[3], 3)
		end
	end)

	T.case("failed calls give false; invalid addresses come first with nil", function()
		local seen = {}
		local first
		local req = skynet.request()
		req:add { callee, "lua", "boom", "select-boom" }
		req:add { callee, "lua", "echo", "ok" }
		req:add { 0xffff00, "lua", "echo", "x" }
		for r, resp in req:select() do
			first = first or r
			if r[1] == 0xffff00 then
				T.eq(resp, nil, "invalid address")
				seen.invalid = true
			elseif r[3] == "boom" then
				T.eq(resp, false, "failed call")
				seen.boom = true
			else
				T.eq(resp[1], "ok")
				seen.ok = true
			end
		end
		T.eq(first[1], 0xffff00, "invalid first")
		T.ok(seen.invalid and seen.boom and seen.ok, "all three seen")
	end)

	T.case("timeout ends the loop and sets req.timeout; late answers are dropped", function()
		local got = {}
		local req = skynet.request
			{ callee, "lua", "sleep", 5, "fast" }
			{ callee, "lua", "sleep", 60, "slow" }
		for _, resp in req:select(30) do
			got[#got + 1] = resp[1]
		end
		T.eq(table.concat(got, ","), "fast")
		T.eq(req.timeout, true)
		local before = skynet.task()
		skynet.sleep(50)	-- the slow answer arrives now and must be ignored
		T.eq(skynet.task(), before, "nothing left waiting")
		T.eq(skynet.call(callee, "lua", "echo", "still fine"), "still fine")
	end)

	T.case("no timeout flag when everything answered in time", function()
		local req = skynet.request { callee, "lua", "echo", 1 }
		for _ in req:select(100) do end
		T.eq(req.timeout, nil)
	end)

	T.case("a call inside the loop is allowed", function()
		local out = {}
		for _, resp in skynet.request
			{ callee, "lua", "sleep", 20, "a" }
			{ callee, "lua", "sleep", 10, "b" }
			:select() do
			out[#out + 1] = skynet.call(callee, "lua", "echo", "in " .. resp[1])
			skynet.sleep(15)
		end
		T.eq(table.concat(out, ","), "in b,in a")
	end)

	T.case("close after break cancels the rest", function()
		local req = skynet.request
			{ callee, "lua", "sleep", 5, "a" }
			{ callee, "lua", "sleep", 40, "b" }
		local before = skynet.task()
		for _, resp in req:select() do
			T.eq(resp[1], "a")
			break
		end
		req:close()
		T.ok(skynet.task() <= before, "no waiting sessions after close")
		skynet.sleep(50)
		T.eq(skynet.call(callee, "lua", "echo", "after"), "after")
	end)

	T.case("an empty request ends at once", function()
		local n = 0
		for _ in skynet.request():select() do
			n = n + 1
		end
		T.eq(n, 0)
	end)

	T.case("add after select is refused", function()
		local req = skynet.request { callee, "lua", "echo", 1 }
		for _ in req:select() do end
		T.raises("assertion failed", req.add, req, { callee, "lua", "echo", 2 })
	end)

	T.done()
end)
