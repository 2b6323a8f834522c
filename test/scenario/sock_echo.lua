-- examples/echo under load: up to 1000 clients connected at the same time,
-- each getting its own bytes back, then all closing.
local skynet = require "skynet"
require "skynet.manager"	-- skynet.abort, used by T.done
local socket = require "skynet.socket"
local T = require "testlib"
local L = require "svc_socklib"

local WANTED = 1000

-- Both ends of every connection live in this process: 2 fds a client, plus
-- headroom for the node itself.
local function client_count()
	local limit = L.max_open_files()
	if limit == nil then
		return WANTED
	end
	local fit = math.floor((limit - 200) / 2)
	if fit < WANTED then
		print(string.format("NOTE open-file limit %d: using %d clients instead of %d", limit, fit, WANTED))
		return fit
	end
	return WANTED
end

skynet.start(function()
	local echo = skynet.newservice("echo/echo", "127.0.0.1", 0)
	local addr, port = skynet.call(echo, "lua", "address")

	T.case("echo server reports its bound port", function()
		T.eq(addr, "127.0.0.1", "address")
		T.ok(port > 0, "port")
	end)

	T.case("many concurrent clients each get their own bytes back", function()
		local n = client_count()
		T.ok(n >= 100, "enough file descriptors for 100 clients")
		local connected = L.queue()
		local finished = L.queue()
		local waiting = {}	-- clients connected and waiting for the second round
		local function client(i)
			local id, err = socket.open("127.0.0.1", port)
			if not id then
				connected.push(false, err)
				return
			end
			local msg = string.format("client %d says %s", i, string.rep(string.char(97 + i % 26), i % 200))
			socket.write(id, msg)
			local back = socket.read(id, #msg)
			connected.push(back == msg, back)
			waiting[#waiting + 1] = coroutine.running()
			skynet.wait()
			-- second round while everybody is still connected
			local msg2 = "again " .. i
			socket.write(id, msg2)
			local back2 = socket.read(id, #msg2)
			socket.close(id)
			finished.push(back2 == msg2)
		end
		for i = 1, n do
			skynet.fork(client, i)
		end
		for i = 1, n do
			local ok, detail = connected.pop(3000, "client " .. i .. " of " .. n)
			if not ok then
				error("first echo failed: " .. tostring(detail))
			end
		end
		T.eq(skynet.call(echo, "lua", "clients"), n, "all connected at once")
		for _, co in ipairs(waiting) do
			skynet.wakeup(co)
		end
		for _ = 1, n do
			T.ok(finished.pop(3000, "second round"), "second echo")
		end
	end)

	T.done()
end)
