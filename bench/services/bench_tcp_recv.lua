-- tcp_throughput receiver: accepts one connection on 127.0.0.1 and counts
-- the bytes read from it. "wait" answers once a given total has arrived,
-- which is how the sender bounds the data in flight.
local skynet = require "skynet"
local socket = require "skynet.socket"

local received = 0
local closed = false
local waiting = {}	-- { target, response }

local function answer_waiters()
	local i = 1
	while i <= #waiting do
		local w = waiting[i]
		if received >= w[1] or closed then
			w[2](true, received)
			table.remove(waiting, i)
		else
			i = i + 1
		end
	end
end

local function drain(fd)
	while true do
		local data = socket.read(fd)
		if not data then
			break
		end
		received = received + #data
		if waiting[1] then
			answer_waiters()
		end
	end
	closed = true
	answer_waiters()
	socket.close(fd)
end

local command = {}

function command.listen(port)
	local listener = socket.listen("127.0.0.1", port)
	socket.start(listener, function(fd)
		socket.close(listener)	-- one stream is all this benchmark needs
		socket.start(fd)
		skynet.fork(drain, fd)
	end)
	skynet.ret(skynet.pack(true))
end

function command.wait(target)
	if received >= target or closed then
		skynet.ret(skynet.pack(received))
	else
		waiting[#waiting + 1] = { target, skynet.response() }
	end
end

function command.received()
	skynet.ret(skynet.pack(received))
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		command[cmd](...)
	end)
end)
