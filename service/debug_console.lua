-- debug_console [ip] port: a line-oriented admin console (telnet/nc).
-- Every command's output ends with "<CMD OK>" or "<CMD Error>"; a table
-- result is printed one sorted `key<TAB>value` line per entry. A connection
-- may instead send one HTTP request: `GET /cmd/arg1/arg2` runs
-- "cmd arg1 arg2", POST runs its body; the plain output follows and the
-- connection closes.
--
-- Addresses are written `:0000000b`, `.name`, or bare hex `b` (this node's
-- harbor id added).
local skynet = require "skynet"
local core = require "skynet.core"
local socket = require "skynet.socket"
local codecache = require "skynet.codecache"
local memory = require "skynet.memory"

local args = table.pack(...)
if args.n < 1 or args.n > 2 or not tonumber(args[args.n]) then
	error("Usage: debug_console [ip] port")
end
local listen_ip = args.n == 2 and args[1] or "127.0.0.1"
local listen_port = tonumber(args[args.n])

local TIMEOUT = 300	-- centiseconds a service gets to answer stat/mem/gc
local HTTP_LIMIT = 8192	-- bytes of request header, and of POST body

local COMMAND = {}	-- cmd(arg1, arg2, ...)
local COMMANDX = {}	-- cmd{ whole line, arg1, ..., fd = socket }

---------------------------------------------------------------------------
-- Output

local function sorted_keys(t)
	local keys = {}
	for k in pairs(t) do
		keys[#keys + 1] = k
	end
	table.sort(keys, function(a, b)
		return tostring(a) < tostring(b)
	end)
	return keys
end

local function format_table(t)
	local fields = {}
	for i, k in ipairs(sorted_keys(t)) do
		fields[i] = string.format("%s:%s", tostring(k), tostring(t[k]))
	end
	return table.concat(fields, "\t")
end

local function print_table(print, t)
	for _, k in ipairs(sorted_keys(t)) do
		local v = t[k]
		if type(v) == "table" then
			print(k, format_table(v))
		else
			print(k, tostring(v))
		end
	end
end

local function print_result(print, result)
	if result == nil then
		return
	end
	if type(result) == "table" then
		print_table(print, result)
	else
		print(tostring(result))
	end
end

---------------------------------------------------------------------------
-- Running a command line

local function split_words(line)
	local words = {}
	for w in line:gmatch "%S+" do
		words[#words + 1] = w
	end
	return words
end

local function docmd(line, print, fd)
	local words = split_words(line)
	local name = words[1]
	local ok, result
	if COMMAND[name] then
		ok, result = pcall(COMMAND[name], table.unpack(words, 2))
	elseif COMMANDX[name] then
		words[1] = line
		words.fd = fd
		ok, result = pcall(COMMANDX[name], words)
	else
		ok, result = false, "Invalid command, type help for command list"
	end
	if ok then
		local pok, err = pcall(print_result, print, result)
		if not pok then
			print(err)
			print "<CMD Error>"
			return
		end
		print "<CMD OK>"
	else
		print(tostring(result))
		print "<CMD Error>"
	end
end

---------------------------------------------------------------------------
-- HTTP: one request per connection, answered with the bare command output.

local function url_decode(s)
	return (s:gsub("%%(%x%x)", function(hex)
		return string.char(tonumber(hex, 16))
	end))
end

-- Reads the header lines after the request line; nil, why on bad input.
local function read_http_header(fd)
	local header, size = {}, 0
	while true do
		local line = socket.readline(fd, "\n")
		if not line then
			return nil, "Connection closed"
		end
		size = size + #line + 1
		if size > HTTP_LIMIT then
			return nil, "Request header too large"
		end
		line = line:gsub("\r$", "")
		if line == "" then
			return header
		end
		local key, value = line:match "^([^:]+):%s*(.-)%s*$"
		if key == nil then
			return nil, "Invalid request header"
		end
		header[key:lower()] = value
	end
end

-- The command line an HTTP request carries; nil, why on bad input.
local function http_command(fd, request)
	local method, url = request:match "^(%u+)%s+(%S+)%s+HTTP/[%d%.]+%s*$"
	if method == nil then
		return nil, "Invalid request line"
	end
	local header, err = read_http_header(fd)
	if not header then
		return nil, err
	end
	if method == "GET" then
		local path = url:match "^[^?#]*"
		return url_decode((path:sub(2):gsub("/", " ")))
	end
	local length = tonumber(header["content-length"] or 0)
	if length == nil or length < 0 or length > HTTP_LIMIT then
		return nil, "Invalid Content-Length"
	end
	if length == 0 then
		return ""
	end
	local body = socket.read(fd, length)
	if not body then
		return nil, "Connection closed"
	end
	return body
end

local function serve_http(fd, print, request)
	local line, err = http_command(fd, request)
	if line then
		docmd(line, print, fd)
	else
		print(err)
		print "<CMD Error>"
	end
end

---------------------------------------------------------------------------
-- Connections

local function console_loop(fd, print, addr)
	print "Welcome to skynet console"
	skynet.error(addr, "connected")
	local ok, err = pcall(function()
		while true do
			local line = socket.readline(fd, "\n")
			if not line then
				break
			end
			line = line:gsub("\r$", "")
			if line:find "^GET " or line:find "^POST " then
				serve_http(fd, print, line)
				break
			end
			if line:find "%S" then
				docmd(line, print, fd)
			end
		end
	end)
	if not ok then
		skynet.error(addr, err)
	end
	skynet.error(addr, "disconnect")
	socket.close(fd)
end

skynet.start(function()
	local listener, ip, port = socket.listen(listen_ip, listen_port)
	listen_ip, listen_port = ip or listen_ip, port or listen_port
	skynet.error("Start debug console at " .. listen_ip .. ":" .. listen_port)
	-- lets a launcher that asked for port 0 learn the port
	skynet.info_func(function()
		return { ip = listen_ip, port = listen_port }
	end)
	socket.start(listener, function(fd, addr)
		local function print(...)
			local n = select("#", ...)
			local t = { ... }
			for i = 1, n do
				t[i] = tostring(t[i])
			end
			socket.write(fd, table.concat(t, "\t", 1, n) .. "\n")
		end
		socket.start(fd)
		skynet.fork(console_loop, fd, print, addr)
	end)
end)

---------------------------------------------------------------------------
-- Commands

-- `:hex`, `.name` or bare hex (gets this node's harbor id) -> handle
local function adjust_address(address)
	assert(type(address) == "string", "Need an address")
	local prefix = address:sub(1, 1)
	if prefix == "." then
		return assert(skynet.localname(address), "Not a valid name")
	end
	if prefix == ":" then
		return assert(tonumber(address:sub(2), 16), "Need an address")
	end
	local id = assert(tonumber(address, 16), "Need an address")
	local handle = bit.bor(id, bit.lshift(skynet.harbor(skynet.self()), 24))
	if handle < 0 then
		handle = handle + 2 ^ 32
	end
	return handle
end

-- `stat 0` waits as long as it takes; no argument means TIMEOUT
local function timeout(ti)
	if ti == nil then
		return TIMEOUT
	end
	ti = assert(tonumber(ti), "Need a timeout in centiseconds")
	if ti <= 0 then
		return nil
	end
	return ti
end

local function toboolean(x)
	return x == "true" or x == "on"
end

function COMMAND.help()
	return {
		help = "This help message",
		list = "List all the service",
		stat = "stat [timeout] : dump the stats of every service",
		info = "info address ... : get service information",
		exit = "exit address : make a lua service exit",
		kill = "kill address : kill a service",
		mem = "mem [timeout] : show memory status",
		gc = "gc [timeout] : force every lua service to collect garbage",
		start = "start name args : launch a new lua service",
		snax = "snax name args : launch a new snax service",
		clearcache = "clear lua code cache",
		service = "List unique services",
		task = "task address : show the tasks of a service",
		uniqtask = "uniqtask address : show the unique tasks of a service",
		killtask = "killtask address threadname : kill a task listed by task",
		inject = "inject address luascript.lua [args] : run a script in a service",
		dbgcmd = "dbgcmd address CMD args : send a debug command",
		logon = "logon address : log the messages of a service",
		logoff = "logoff address : stop logging a service",
		log = "log name args : launch a new lua service with its messages logged",
		debug = "debug address : debug a lua service",
		signal = "signal address [sig] : send a signal to a service",
		cmem = "Show C memory info",
		shrtbl = "Show the shared tables (sharedata, sharetable, datasheet) in native memory",
		jmem = "Show jemalloc mem stats",
		ping = "ping address : time a round trip, in centiseconds",
		call = "call address lua-args... : skynet.call with lua expressions",
		trace = "trace address [proto] [on|off]",
		netstat = "netstat : show the sockets",
		profactive = "profactive [on|off] : turn jemalloc heap profiling on/off",
		dumpheap = "dumpheap : dump the jemalloc heap profile",
		getenv = "getenv name : skynet.getenv(name)",
		setenv = "setenv name value : skynet.setenv(name, value)",
	}
end

function COMMAND.clearcache()
	codecache.clear()
end

function COMMAND.start(...)
	local ok, addr = pcall(skynet.newservice, ...)
	if not ok then
		return "Failed"
	end
	if not addr then
		return "Exit"
	end
	return { [skynet.address(addr)] = (...) }
end

function COMMAND.log(...)
	local ok, addr = pcall(skynet.call, ".launcher", "lua", "LOGLAUNCH", "snlua", ...)
	if not ok or not addr then
		return "Failed"
	end
	return { [skynet.address(addr)] = (...) }
end

function COMMAND.snax(...)
	local found, snax = pcall(require, "skynet.snax")
	if not found then
		error "snax is not available on this node"
	end
	local ok, obj = pcall(snax.newservice, ...)
	if not ok then
		return "Failed"
	end
	return { [skynet.address(obj.handle)] = (...) }
end

function COMMAND.service()
	return skynet.call("SERVICE", "lua", "LIST")
end

function COMMAND.list()
	return skynet.call(".launcher", "lua", "LIST")
end

function COMMAND.stat(ti)
	return skynet.call(".launcher", "lua", "STAT", timeout(ti))
end

function COMMAND.mem(ti)
	return skynet.call(".launcher", "lua", "MEM", timeout(ti))
end

function COMMAND.gc(ti)
	return skynet.call(".launcher", "lua", "GC", timeout(ti))
end

function COMMAND.kill(address)
	return skynet.call(".launcher", "lua", "KILL", adjust_address(address))
end

function COMMAND.exit(address)
	skynet.send(adjust_address(address), "debug", "EXIT")
end

function COMMAND.inject(address, filename, ...)
	address = adjust_address(address)
	assert(filename, "Need a file name")
	local f = io.open(filename, "rb")
	if not f then
		return "Can't open " .. filename
	end
	local source = f:read "*a"
	f:close()
	local ok, output = skynet.call(address, "debug", "RUN", source, filename, ...)
	if ok == false then
		error(output, 0)
	end
	return output
end

function COMMAND.dbgcmd(address, cmd, ...)
	address = adjust_address(address)
	assert(cmd, "Need a debug command")
	return skynet.call(address, "debug", cmd, ...)
end

function COMMAND.task(address)
	return COMMAND.dbgcmd(address, "TASK")
end

function COMMAND.uniqtask(address)
	return COMMAND.dbgcmd(address, "UNIQTASK")
end

function COMMAND.killtask(address, threadname)
	return COMMAND.dbgcmd(address, "KILLTASK", threadname)
end

function COMMAND.info(address, ...)
	return COMMAND.dbgcmd(address, "INFO", ...)
end

-- The console's own reader forwards lines to the debug agent until `cont`
-- (or a closed connection); the agent's `start` answers when the target
-- leaves debug mode.
function COMMANDX.debug(cmd)
	local address = adjust_address(cmd[2])
	-- fail now on a dead address, not after the user's next line
	skynet.call(address, "debug", "PING")
	local agent = skynet.newservice "debug_agent"
	local finished = false
	local reader_done = false
	local waiting
	local function forward_lines()
		repeat
			skynet.call(agent, "lua", "ping")	-- raises once the agent is gone
			local line = socket.readline(cmd.fd, "\n")
			if not line then
				skynet.send(agent, "lua", "cmd", "cont")
				break
			end
			line = line:gsub("\r$", "")
			skynet.send(agent, "lua", "cmd", line)
		until finished or line == "cont"
	end
	skynet.fork(function()
		pcall(forward_lines)
		reader_done = true
		if waiting then
			skynet.wakeup(waiting)
		end
	end)
	local ok, err = skynet.call(agent, "lua", "start", address, cmd.fd)
	finished = true
	if not reader_done then
		-- the reader may still sit in readline: the next line ends it
		waiting = coroutine.running()
		skynet.wait(waiting)
	end
	if not ok then
		error(err, 0)
	end
end

function COMMAND.logon(address)
	core.command("LOGON", skynet.address(adjust_address(address)))
end

function COMMAND.logoff(address)
	core.command("LOGOFF", skynet.address(adjust_address(address)))
end

function COMMAND.signal(address, sig)
	address = skynet.address(adjust_address(address))
	if sig then
		sig = assert(tonumber(sig), "Need a signal number")
		core.command("SIGNAL", string.format("%s %d", address, sig))
	else
		core.command("SIGNAL", address)
	end
end

function COMMAND.cmem()
	local result = {}
	for handle, size in pairs(memory.info()) do
		result[skynet.address(handle)] = size
	end
	result.total = memory.total()
	result.block = memory.block()
	return result
end

-- The native trees behind sharedata, sharetable and datasheet, process-wide.
function COMMAND.shrtbl()
	local trees, bytes = require("skynet.sharedata.core").stat()
	return { trees = trees, bytes = bytes }
end

function COMMAND.jmem()
	local result = {}
	for k, v in pairs(memory.jestat()) do
		result[k] = string.format("%11d  %8.2f Mb", v, v / 1048576)
	end
	return result
end

function COMMAND.ping(address)
	address = adjust_address(address)
	local start = skynet.now()
	skynet.call(address, "debug", "PING")
	return tostring(skynet.now() - start)
end

function COMMAND.trace(address, proto, flag)
	address = adjust_address(address)
	if flag == nil then
		if proto == "on" or proto == "off" then
			proto = toboolean(proto)
		end
	else
		flag = toboolean(flag)
	end
	skynet.call(address, "debug", "TRACELOG", proto, flag)
end

-- call address <lua expression list>: the arguments are evaluated in an
-- empty environment, so only literals and table constructors work.
function COMMANDX.call(cmd)
	local address = adjust_address(cmd[2])
	local list = assert(cmd[1]:match "^%s*%S+%s+%S+%s+(.-)%s*$", "need arguments")
	assert(list ~= "", "need arguments")
	local make_args = assert(load("return " .. list, "debug console", "t", {}), "Invalid arguments")
	local args = table.pack(pcall(make_args))
	if not args[1] then
		error(args[2], 0)
	end
	return table.pack(skynet.call(address, "lua", table.unpack(args, 2, args.n)))
end

local function bytes(size)
	if size == nil or size == 0 then
		return nil
	end
	if size < 1024 then
		return size
	end
	if size < 1024 * 1024 then
		return tostring(size / 1024) .. "K"
	end
	return tostring(size / (1024 * 1024)) .. "M"
end

-- centiseconds since `t`: "12.5s", or "[h:]m:ss" past a minute
local function elapsed(now, t)
	if t == nil then
		return nil
	end
	t = now - t
	if t < 6000 then
		return tostring(t / 100) .. "s"
	end
	local hour = math.floor(t / 360000)
	t = t - hour * 360000
	local min = math.floor(t / 6000)
	local sec = (t - min * 6000) / 100
	return string.format("%s%d:%.2gs", hour == 0 and "" or (hour .. ":"), min, sec)
end

function COMMAND.netstat()
	local now = skynet.now()
	local list = socket.netstat()
	for _, info in ipairs(list) do
		info.address = skynet.address(info.address)
		info.read = bytes(info.read)
		info.write = bytes(info.write)
		info.wbuffer = bytes(info.wbuffer)
		info.rtime = elapsed(now, info.rtime)
		info.wtime = elapsed(now, info.wtime)
	end
	return list
end

function COMMAND.dumpheap()
	memory.dumpheap()
end

function COMMAND.profactive(flag)
	if flag ~= nil then
		memory.profactive(toboolean(flag))
	end
	local active = memory.profactive()
	return "heap profilling is " .. (active and "active" or "deactive")
end

function COMMAND.getenv(name)
	assert(name, "Need a name")
	return { [name] = tostring(skynet.getenv(name)) }
end

function COMMAND.setenv(name, value)
	assert(name and value, "Need a name and a value")
	skynet.setenv(name, value)
end
