-- debug_console: the line protocol and its commands, driven over TCP.
local skynet = require "skynet"
require "skynet.manager"	-- skynet.abort, used by T.done
local T = require "testlib"
local C = require "svc_console_lib"

local find = C.find

skynet.start(function()
	local console, port = C.start_console()
	local echo = skynet.newservice "svc_console_echo"
	local echo_addr = skynet.address(echo)
	local cli = C.connect(port)

	T.case("greeting", function()
		T.eq(cli:expect "\n", "Welcome to skynet console", "first line")
	end)

	T.case("help lists every command", function()
		local out, status = cli:run "help"
		T.eq(status, "OK", "status")
		local names = {}
		for _, line in ipairs(out) do
			names[line:match "^(%S+)\t"] = true
		end
		for _, name in ipairs { "help", "list", "stat", "mem", "gc", "info", "exit", "kill", "start",
			"log", "snax", "service", "task", "uniqtask", "killtask", "inject", "dbgcmd", "ping",
			"call", "trace", "logon", "logoff", "signal", "netstat", "cmem", "jmem", "profactive",
			"dumpheap", "clearcache", "getenv", "setenv", "debug" } do
			T.ok(names[name], "help lists " .. name)
		end
		-- sorted by key
		for i = 2, #out do
			T.ok(out[i - 1] < out[i], "sorted: " .. out[i - 1])
		end
	end)

	T.case("unknown command", function()
		local out, status = cli:run "nosuchcmd 1 2"
		T.eq(status, "Error", "status")
		T.eq(out[1], "Invalid command, type help for command list", "message")
		T.eq(#out, 1, "lines")
	end)

	T.case("blank lines are ignored", function()
		cli:send ""
		cli:send "   "
		local out, status = cli:run "ping .launcher"
		T.eq(status, "OK", "status")
		T.eq(#out, 1, "only the ping answer")
	end)

	T.case("list shows the services", function()
		local out, status = cli:run "list"
		T.eq(status, "OK", "status")
		T.ok(find(out, "^:%x%x%x%x%x%x%x%x\tsnlua service_mgr$"), "service_mgr line")
		T.ok(find(out, "^" .. skynet.address(console) .. "\tsnlua debug_console 127.0.0.1 0$"), "console line")
		T.ok(find(out, "^" .. echo_addr .. "\tsnlua svc_console_echo$"), "echo line")
	end)

	T.case("stat formats one line per service", function()
		local out, status = cli:run "stat"
		T.eq(status, "OK", "status")
		local line = find(out, "^" .. echo_addr .. "\t")
		T.ok(line, "echo's stat")
		T.ok(line:find "^:%x+\tcpu:[%d%.e%-]+\tmessage:%d+\tmqlen:%d+\ttask:%d+$", line)
	end)

	T.case("mem and gc", function()
		local out, status = cli:run "mem"
		T.eq(status, "OK", "status")
		local line = find(out, "^" .. echo_addr .. "\t")
		T.ok(line and line:find "^:%x+\t[%d%.]+ Kb %(snlua svc_console_echo%)$", tostring(line))
		out, status = cli:run "gc 100"
		T.eq(status, "OK", "gc status")
		T.ok(find(out, "^" .. echo_addr .. "\t[%d%.]+ Kb %(snlua svc_console_echo%)$"), "gc lists echo")
	end)

	T.case("call evaluates its lua arguments", function()
		local out, status = cli:run("call " .. echo_addr .. ' "echo", 1, "two", nil, {x=1}')
		T.eq(status, "OK", "status")
		T.eq(out[1], "1\t1", "first")
		T.eq(out[2], "2\ttwo", "second")
		T.eq(out[3], "4\tx:1", "table value")
		T.eq(out[4], "n\t4", "count")
		T.eq(#out, 4, "lines")
		out, status = cli:run("call " .. echo_addr)
		T.eq(status, "Error", "no arguments")
		out, status = cli:run("call " .. echo_addr .. " os.exit()")
		T.eq(status, "Error", "arguments see no globals")
		out, status = cli:run("call " .. echo_addr .. " 'nosuch'")
		T.eq(status, "Error", "call failed")
	end)

	T.case("addresses: :hex, .name and bare hex", function()
		local hex = string.format("%x", echo)
		for _, form in ipairs { echo_addr, hex, "0" .. hex } do
			local out, status = cli:run("call " .. form .. ' "echo", "' .. form .. '"')
			T.eq(status, "OK", form)
			T.eq(out[1], "1\t" .. form, form)
		end
		local out, status = cli:run "ping .launcher"
		T.eq(status, "OK", ".name")
		T.ok(out[1]:find "^%d+$", "elapsed centiseconds")
		out, status = cli:run "ping .nosuchname"
		T.eq(status, "Error", "unknown name")
		T.ok(out[1]:find "Not a valid name", out[1])
		out, status = cli:run "ping xyz"
		T.eq(status, "Error", "not hex")
		T.ok(out[1]:find "Need an address", out[1])
		out, status = cli:run "ping"
		T.eq(status, "Error", "missing")
	end)

	T.case("getenv and setenv", function()
		local out, status = cli:run "getenv console_nokey"
		T.eq(status, "OK", "status")
		T.eq(out[1], "console_nokey\tnil", "unset key")
		out, status = cli:run "setenv console_key hello"
		T.eq(status, "OK", "setenv")
		T.eq(skynet.getenv "console_key", "hello", "value set")
		out, status = cli:run "getenv console_key"
		T.eq(out[1], "console_key\thello", "getenv")
		out, status = cli:run "setenv console_key again"
		T.eq(status, "Error", "existing key")
		T.ok(out[1]:find "Can't setenv exist key", out[1])
		out, status = cli:run "setenv lonely"
		T.eq(status, "Error", "missing value")
	end)

	T.case("inject runs a file inside the service", function()
		local file = skynet.getenv "scenario_tmp" .. "/console_inject.lua"
		local f = assert(io.open(file, "w"))
		f:write 'local s = _P.lua.CMD and _P.lua.state\n'
		f:write 'print("injected", ...)\n'
		f:write '_U.proto.lua.dispatch = _U.proto.lua.dispatch\n'
		f:write 'return 1\n'
		f:close()
		local out, status = cli:run(table.concat({ "inject", echo_addr, file, "a1", "a2" }, " "))
		T.eq(status, "OK", "status")
		T.eq(out[1], "injected\ta1\ta2", "captured print")
		T.eq(#out, 1, "lines")

		f = assert(io.open(file, "w"))
		f:write 'print("before")\nerror("boom")\n'
		f:close()
		out, status = cli:run(table.concat({ "inject", echo_addr, file }, " "))
		T.eq(status, "Error", "failing script")
		T.eq(out[1], "before", "output so far")
		T.ok(out[2]:find "boom", out[2])

		out, status = cli:run("inject " .. echo_addr .. " /nonexistent/x.lua")
		T.eq(status, "OK", "missing file status")
		T.eq(out[1], "Can't open /nonexistent/x.lua", "missing file")
	end)

	T.case("inject can change the service state", function()
		local file = skynet.getenv "scenario_tmp" .. "/console_inject2.lua"
		local f = assert(io.open(file, "w"))
		-- `state` is an upvalue of CMD.hits, reachable through the dispatch
		f:write 'local CMD = _P.lua.CMD\n'
		f:write 'local _, state = debug.getupvalue(CMD.hits, 1)\n'
		f:write 'state.hits = 42\n'
		f:write 'print(state.hits)\n'
		f:close()
		local out, status = cli:run(table.concat({ "inject", echo_addr, file }, " "))
		T.eq(status, "OK", "status " .. tostring(out[1]))
		T.eq(out[1], "42", "output")
		T.eq(skynet.call(echo, "lua", "hits"), 42, "state changed")
	end)

	T.case("start, kill, exit", function()
		local out, status = cli:run "start svc_console_echo"
		T.eq(status, "OK", "start")
		local addr = out[1]:match "^(:%x+)\tsvc_console_echo$"
		T.ok(addr, out[1])
		T.eq(skynet.call(addr, "lua", "echo", "x"), "x", "new service answers")
		out, status = cli:run "start console_no_such_service"
		T.eq(status, "OK", "failed start status")
		T.eq(out[1], "Failed", "failed start")
		out, status = cli:run("kill " .. addr)
		T.eq(status, "OK", "kill")
		T.eq(out[1], addr .. "\tsnlua svc_console_echo", "killed line")
		T.ok(not pcall(skynet.call, addr, "lua", "echo", "x"), "gone")

		out = cli:run "start svc_console_echo"
		addr = out[1]:match "^(:%x+)"
		out, status = cli:run("exit " .. addr)
		T.eq(status, "OK", "exit")
		T.eq(#out, 0, "exit prints nothing")
		T.ok(not pcall(skynet.call, addr, "lua", "echo", "x"), "gone")
	end)

	T.case("log launches with the message log on", function()
		T.eq(select(2, cli:run("setenv logpath " .. skynet.getenv "scenario_tmp")), "OK", "logpath")
		local out, status = cli:run "log svc_console_echo"
		T.eq(status, "OK", "log")
		local addr = out[1]:match "^(:%x+)\tsvc_console_echo$"
		T.ok(addr, out[1])
		local file = skynet.getenv "scenario_tmp" .. "/" .. addr:sub(2) .. ".log"
		T.ok(io.open(file), "log file " .. file)
		T.eq(select(2, cli:run("logoff " .. addr)), "OK", "logoff")
		cli:run("kill " .. addr)
	end)

	T.case("logon and logoff", function()
		local out, status = cli:run("logon " .. echo_addr)
		T.eq(status, "OK", "logon")
		skynet.call(echo, "lua", "echo", "logged")
		local file = skynet.getenv "scenario_tmp" .. "/" .. echo_addr:sub(2) .. ".log"
		out, status = cli:run("logoff " .. echo_addr)
		T.eq(status, "OK", "logoff")
		local f = T.ok(io.open(file), "log file " .. file)
		local text = f:read "*a"
		f:close()
		T.ok(text:find "open time", "opened")
		T.ok(text:find "close time", "closed")
	end)

	T.case("task, uniqtask, killtask, info, dbgcmd", function()
		local out, status = cli:run("task " .. echo_addr)
		T.eq(status, "OK", "task")
		out, status = cli:run("uniqtask " .. echo_addr)
		T.eq(status, "OK", "uniqtask")
		out, status = cli:run("killtask " .. echo_addr .. " nosuch")
		T.eq(status, "OK", "killtask")
		T.eq(out[1], "Not found", "killtask unknown")
		out, status = cli:run("info " .. skynet.address(console))
		T.eq(status, "OK", "info")
		T.eq(out[1], "ip\t127.0.0.1", "info ip")
		T.eq(out[2], "port\t" .. port, "info port")
		out, status = cli:run("dbgcmd " .. echo_addr .. " SUPPORT lua")
		T.eq(status, "OK", "dbgcmd")
		T.eq(out[1], "true", "non-table result printed")
		out, status = cli:run("dbgcmd " .. echo_addr .. " MEM")
		T.ok(out[1]:find "^[%d%.]+$", out[1])
		out, status = cli:run("dbgcmd " .. echo_addr .. " NOSUCH")
		T.eq(status, "Error", "unknown debug command")
	end)

	T.case("ping", function()
		local out, status = cli:run("ping " .. echo_addr)
		T.eq(status, "OK", "status")
		T.ok(out[1]:find "^%d+$", out[1])
	end)

	T.case("trace and signal", function()
		local _, status = cli:run("trace " .. echo_addr .. " on")
		T.eq(status, "OK", "trace on")
		_, status = cli:run("trace " .. echo_addr .. " lua off")
		T.eq(status, "OK", "trace off")
		_, status = cli:run("signal " .. echo_addr .. " 1")
		T.eq(status, "OK", "signal 1")
		_, status = cli:run("signal " .. echo_addr .. " x")
		T.eq(status, "Error", "signal not a number")
		T.eq(skynet.call(echo, "lua", "echo", "alive"), "alive", "still answers")
	end)

	T.case("memory commands", function()
		local out, status = cli:run "cmem"
		T.eq(status, "OK", "cmem")
		T.ok(find(out, "^total\t%d+$"), "total")
		T.ok(find(out, "^block\t%d+$"), "block")
		out, status = cli:run "jmem"
		T.eq(status, "OK", "jmem")
		T.ok(find(out, "^stats%.allocated\t +%d+  +[%d%.]+ Mb$"), "jmem line")
		out, status = cli:run "profactive"
		T.eq(status, "OK", "profactive")
		T.eq(out[1], "heap profilling is deactive", "no jemalloc")
		out, status = cli:run "profactive on"
		T.eq(status, "OK", "profactive on")
		_, status = cli:run "dumpheap"
		T.eq(status, "OK", "dumpheap")
		_, status = cli:run "clearcache"
		T.eq(status, "OK", "clearcache")
	end)

	T.case("netstat lists the console's sockets", function()
		local out, status = cli:run "netstat"
		T.eq(status, "OK", "status")
		T.ok(find(out, "address:" .. skynet.address(console) .. "\t.*type:LISTEN"), "listener")
		T.ok(find(out, "address:" .. skynet.address(console) .. "\t.*type:TCP"), "connection")
	end)

	T.case("service lists unique services", function()
		skynet.uniqueservice "svc_console_echo"
		local out, status = cli:run "service"
		T.eq(status, "OK", "status")
		T.ok(find(out, "^svc_console_echo\t:%x+$"), "unique service")
	end)

	T.case("snax without snax support", function()
		local ok = pcall(require, "skynet.snax")
		local out, status = cli:run "snax nosuch"
		if ok then
			T.eq(status, "OK", "status")
			T.eq(out[1], "Failed", "unknown snax")
		else
			T.eq(status, "Error", "status")
			T.ok(out[1]:find "snax", out[1])
		end
	end)

	T.case("HTTP GET runs the path as a command", function()
		local web = C.connect(port)
		web:send "GET /getenv/console_key HTTP/1.1\r\nHost: 127.0.0.1\r\n\r"
		local text = web:read_all()
		web:close()
		T.eq(text, "Welcome to skynet console\nconsole_key\thello\n<CMD OK>\n", "reply")
	end)

	T.case("HTTP GET decodes escapes", function()
		local web = C.connect(port)
		web:send("GET /call/" .. echo_addr .. "/%22echo%22,%2042 HTTP/1.0\r\n\r")
		local text = web:read_all()
		web:close()
		T.eq(text, "Welcome to skynet console\n1\t42\nn\t1\n<CMD OK>\n", "reply")
	end)

	T.case("HTTP POST runs the body", function()
		local web = C.connect(port)
		local body = "getenv console_key"
		web:send("POST / HTTP/1.1\r\nContent-Length: " .. #body .. "\r\n\r\n" .. body)
		local text = web:read_all()
		web:close()
		T.eq(text, "Welcome to skynet console\nconsole_key\thello\n<CMD OK>\n", "reply")
	end)

	T.case("bad HTTP requests get an error", function()
		local web = C.connect(port)
		web:send "POST / HTTP/1.1\r\nContent-Length: 99999\r\n\r"
		local text = web:read_all()
		web:close()
		T.eq(text, "Welcome to skynet console\nInvalid Content-Length\n<CMD Error>\n", "reply")
	end)

	T.case("the console survives all of it", function()
		local out, status = cli:run "ping .launcher"
		T.eq(status, "OK", "still serving")
		T.ok(out[1]:find "^%d+$", "ping")
	end)

	cli:close()
	T.done()
end)
