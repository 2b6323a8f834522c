-- debug_console `debug`: attach to a service, evaluate Lua in it, step
-- through a watched message, leave with `cont`.
local skynet = require "skynet"
require "skynet.manager"	-- skynet.abort, used by T.done
local T = require "testlib"
local C = require "svc_console_lib"
local L = require "svc_skynetlib"

-- line numbers of the steps in svc_console_echo.lua
local function source_lines()
	local lines = {}
	local n = 0
	local path = skynet.getenv "root" .. "test/scenario/svc_console_echo.lua"
	for line in io.lines(path) do
		n = n + 1
		lines[line:match "^%s*(.-)%s*$"] = n
	end
	return lines
end

skynet.start(function()
	local _, port = C.start_console()
	local echo = skynet.newservice "svc_console_echo"
	local echo_addr = skynet.address(echo)
	local prompt = echo_addr .. ">"
	local cli = C.connect(port)
	cli:expect "Welcome to skynet console\n"
	local at = source_lines()

	-- sends a debugger line, returns the output before the next prompt and
	-- the prompt
	local function debug_line(line)
		cli:send(line)
		return cli:expect "([^\n]*>)$"
	end

	T.case("attach shows the service prompt", function()
		cli:send("debug " .. echo_addr)
		local before, p = cli:expect "([^\n]*>)$"
		T.eq(before, "", "nothing before the prompt")
		T.eq(p, prompt, "prompt")
	end)

	T.case("expressions and statements run in the service", function()
		local out, p = debug_line "1 + 2"
		T.eq(out, "3\n", "expression")
		T.eq(p, prompt, "prompt")
		out = debug_line "print('hi', 5)"
		T.eq(out, "hi\t5\n", "print goes to the console")
		out = debug_line "console_global = 7"
		T.eq(out, "", "statement prints nothing")
		out = debug_line "console_global * 2"
		T.eq(out, "14\n", "globals persist")
		out = debug_line "require('skynet').self()"
		T.eq(out, tostring(echo) .. "\n", "runs inside the target")
		out = debug_line "x ="
		T.ok(out:find "unexpected symbol", out)
		out = debug_line "error('oops')"
		T.ok(out:find "oops", out)
		out = debug_line ""
		T.eq(out, "", "empty line")
	end)

	T.case("the target keeps serving while attached", function()
		T.eq(skynet.call(echo, "lua", "echo", "busy"), "busy", "call")
	end)

	T.case("watch pauses the next message and steps through it", function()
		local out = debug_line 'watch("lua")'
		T.eq(out, "", "watch armed")
		local result
		local done = false
		skynet.fork(function()
			result = skynet.call(echo, "lua", "work", 5)
			done = true
		end)
		local function at_line(p, text)
			local file, line = p:match "^(.-)%((%d+)%)>$"
			T.ok(file and file:find "svc_console_echo%.lua$", "paused in the service: " .. p)
			T.eq(tonumber(line), at[text], "paused at " .. text)
		end
		local _, p = cli:expect "([^\n]*>)$"
		at_line(p, 'local f = assert(CMD[cmd], cmd)')
		out = debug_line "cmd"
		T.eq(out, "work\n", "local of the dispatch function")
		_, p = debug_line "s"
		at_line(p, "skynet.retpack(f(...))")
		_, p = debug_line "s"
		at_line(p, "local doubled = n * 2")
		out = debug_line "n, state.hits"
		T.eq(out, "5\t0\n", "argument and upvalue")
		_, p = debug_line "n"
		at_line(p, "local tripled = triple(n)")
		_, p = debug_line "n"
		at_line(p, "local sum = doubled + tripled")
		out = debug_line "doubled, tripled"
		T.eq(out, "10\t15\n", "locals after stepping over triple")
		out, p = debug_line "doubled = 100"
		T.eq(out, "", "assignment")
		_, p = debug_line "s"
		at_line(p, "state.hits = state.hits + 1")
		out = debug_line "sum"
		T.eq(out, "115\n", "assigned local was used")
		T.ok(not done, "still paused")
		_, p = debug_line "c"
		T.eq(p, prompt, "back to the service prompt")
		T.eq(result, 115, "call result")
		T.ok(done, "call finished")
	end)

	T.case("step into a function", function()
		debug_line 'watch("lua", function(_, _, cmd) return cmd == "work" end)'
		T.eq(skynet.call(echo, "lua", "echo", "x"), "x", "cond false: not watched")
		local result
		skynet.fork(function()
			result = skynet.call(echo, "lua", "work", 1)
		end)
		local _, p = cli:expect "([^\n]*>)$"
		T.ok(p:find "%(" .. at['local f = assert(CMD[cmd], cmd)'] .. "%)>$", p)
		debug_line "s"
		debug_line "s"
		debug_line "n"
		_, p = debug_line "s"
		T.ok(p:find("%(" .. at["local t = n * 3"] .. "%)>$"), "inside triple: " .. p)
		local out = debug_line "n"
		_, p = debug_line "n"
		T.ok(p:find("%(" .. at["local sum = doubled + tripled"] .. "%)>$"), "returned: " .. p)
		_, p = debug_line "c"
		T.eq(p, prompt, "service prompt")
		T.eq(result, 5, "result")
	end)

	T.case("cont leaves the debugger", function()
		cli:send "cont"
		local out, status = cli:expect "<CMD (%a+)>\n"
		T.eq(status, "OK", "status")
		T.eq(out, "", "output")
		local lines, st = cli:run("ping " .. echo_addr)
		T.eq(st, "OK", "console back to commands")
		T.eq(skynet.call(echo, "lua", "echo", "after"), "after", "service unhooked")
	end)

	T.case("cont releases a paused thread", function()
		cli:send("debug " .. echo_addr)
		cli:expect "([^\n]*>)$"
		debug_line 'watch("lua")'
		local result
		skynet.fork(function()
			result = skynet.call(echo, "lua", "work", 2)
		end)
		cli:expect "%(%d+%)>$"
		cli:send "cont"
		local _, status = cli:expect "<CMD (%a+)>\n"
		T.eq(status, "OK", "status")
		T.eq(skynet.call(echo, "lua", "echo", "sync"), "sync", "serving")
		T.eq(result, 10, "paused call finished")
	end)

	T.case("cont disarms a pending watch", function()
		cli:send("debug " .. echo_addr)
		cli:expect "([^\n]*>)$"
		debug_line 'watch("lua")'
		cli:send "cont"
		local _, status = cli:expect "<CMD (%a+)>\n"
		T.eq(status, "OK", "status")
		local file = skynet.getenv "scenario_tmp" .. "/console_watch.lua"
		local f = assert(io.open(file, "w"))
		f:write 'print(_U.proto.lua.watched_dispatch == nil)\n'
		f:close()
		local out, st = cli:run("inject " .. echo_addr .. " " .. file)
		T.eq(st, "OK", "inject")
		T.eq(out[1], "true", "watch removed")
		T.eq(skynet.call(echo, "lua", "echo", "plain"), "plain", "served")
	end)

	T.case("attach to a dead address fails", function()
		local out, status = cli:run "debug :00ffffff"
		T.eq(status, "Error", "status")
		T.eq(#out, 1, "one line")
	end)

	T.case("attach twice fails", function()
		local other = C.connect(port)
		other:expect "Welcome to skynet console\n"
		other:send("debug " .. echo_addr)
		other:expect "([^\n]*>)$"
		local refusals = L.log_count "Already in debug mode"
		cli:send("debug " .. echo_addr)
		-- The failure shows once the console reads a line. Send it after the
		-- target has refused: sent earlier, the console's reader may take it
		-- while the attach is still pending and then wait for another.
		local deadline = skynet.now() + 1000
		while L.log_count "Already in debug mode" == refusals and skynet.now() < deadline do
			skynet.sleep(5)
		end
		cli:send "1"
		local out, status = cli:expect "<CMD (%a+)>\n"
		T.eq(status, "Error", "second attach")
		T.ok(out:find "Debugger attach failed", out)
		other:send "cont"
		local _, st = other:expect "<CMD (%a+)>\n"
		T.eq(st, "OK", "first session ends")
		other:close()
	end)

	T.case("closing the connection ends the session", function()
		local other = C.connect(port)
		other:expect "Welcome to skynet console\n"
		other:send("debug " .. echo_addr)
		other:expect "([^\n]*>)$"
		other:close()
		-- a new session can attach once the old one is gone
		local out, st = cli:run("ping " .. echo_addr)
		T.eq(st, "OK", "ping")
		cli:send("debug " .. echo_addr)
		local _, p = cli:expect "([^\n]*>)$"
		T.eq(p, prompt, "attached again")
		cli:send "cont"
		_, st = cli:expect "<CMD (%a+)>\n"
		T.eq(st, "OK", "left")
	end)

	T.case("injectcode sees and changes a frame", function()
		local injectcode = require "skynet.injectcode"
		local up = 10
		local function frame()
			local a, b = 1, 2
			local r = table.pack(injectcode("a = a + up; up = up + 1; return a, b, c, nosuch", nil, 0, { c = "env" }))
			return a, r, up	-- makes `up` an upvalue of frame
		end
		local a, r = frame()
		T.eq(a, 11, "local written back")
		T.eq(up, 11, "upvalue written")
		T.eq(r.n, 5, "results")
		T.ok(r[1] and r[2] == 11 and r[3] == 2 and r[4] == "env" and r[5] == nil, "values")

		local co = coroutine.create(function(x)
			local z = 5
			coroutine.yield()
			return x + z
		end)
		coroutine.resume(co, 1)
		local ok, x, z = injectcode("return x, z", co, 1)
		T.ok(ok and x == 1 and z == 5, "suspended thread's locals")
		T.ok(injectcode("z = 100", co, 1), "assign")
		local ok2, err = injectcode("return )", co, 1)
		T.ok(not ok2 and err:find "unexpected symbol", "syntax error")
		ok2, err = injectcode("error 'inside'", co, 1)
		T.ok(not ok2 and err:find "inside", "runtime error")
		ok2, err = injectcode("return 1", co, 9)
		T.eq(err, "Invalid level", "bad level")
		local _, sum = coroutine.resume(co)
		T.eq(sum, 101, "assigned local used by the thread")
	end)

	cli:close()
	T.done()
end)
