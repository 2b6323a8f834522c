-- skynet.queue critical sections.
local skynet = require "skynet"	-- abort (T.done) loads skynet.manager on demand
local queue = require "skynet.queue"
local T = require "testlib"

skynet.start(function()
	T.case("threads enter one at a time, in arrival order", function()
		local cs = queue()
		local log = {}
		local done = 0
		local token = {}
		for i = 1, 3 do
			skynet.fork(function()
				cs(function()
					log[#log + 1] = "in" .. i
					skynet.sleep(2)
					log[#log + 1] = "out" .. i
				end)
				done = done + 1
				if done == 3 then
					skynet.wakeup(token)
				end
			end)
		end
		skynet.wait(token)
		T.eq(table.concat(log, ","), "in1,out1,in2,out2,in3,out3")
	end)

	T.case("the owner may enter again", function()
		local cs = queue()
		local r = cs(function()
			return cs(function(a, b) return a + b end, 1, 2)
		end)
		T.eq(r, 3)
	end)

	T.case("returns every result of f", function()
		local cs = queue()
		local r = table.pack(cs(function(...) return ... end, 1, nil, "x"))
		T.eq(r.n, 3)
		T.eq(r[3], "x")
	end)

	T.case("an error is re-raised with a traceback and releases the section", function()
		local cs = queue()
		local ok, err = pcall(cs, function() error "cs-error-1" end)
		T.eq(ok, false)
		T.ok(tostring(err):find("cs-error-1", 1, true), "message")
		T.ok(tostring(err):find("stack traceback", 1, true), "traceback")
		local entered = false
		skynet.fork(function() cs(function() entered = true end) end)
		skynet.yield()
		T.eq(entered, true, "released")
	end)

	T.case("a waiting thread gets in after the owner fails", function()
		local cs = queue()
		local order = {}
		local token = {}
		skynet.fork(function()
			pcall(cs, function()
				skynet.sleep(2)
				order[#order + 1] = "owner"
				error "x"
			end)
		end)
		skynet.fork(function()
			cs(function() order[#order + 1] = "waiter" end)
			skynet.wakeup(token)
		end)
		skynet.wait(token)
		T.eq(table.concat(order, ","), "owner,waiter")
	end)

	T.done()
end)
