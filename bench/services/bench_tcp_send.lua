-- tcp_throughput sender: connects to the receiver and writes fixed-size
-- chunks until told to stop, keeping at most `window` bytes unconfirmed by
-- the receiver so the socket's write queue stays bounded.
local skynet = require "skynet"
local socket = require "skynet.socket"

local streaming = false
local finished	-- coroutine waiting in "stop"
local sent = 0

local function stream(fd, receiver, chunk_size, window)
	local chunk = string.rep("z", chunk_size)
	local per_batch = math.max(1, math.floor(window / 4 / chunk_size))
	while streaming do
		for _ = 1, per_batch do
			socket.write(fd, chunk)
		end
		sent = sent + per_batch * chunk_size
		if sent > window then
			skynet.call(receiver, "lua", "wait", sent - window)
		end
	end
	if finished then
		skynet.wakeup(finished)
	end
end

local command = {}

function command.start(receiver, port, chunk_size, window)
	local fd = assert(socket.open("127.0.0.1", port))
	streaming = true
	skynet.fork(stream, fd, receiver, chunk_size, window)
	skynet.ret(skynet.pack(true))
end

-- stops writing; answers the total number of bytes written
function command.stop()
	if streaming then
		streaming = false
		finished = coroutine.running()
		skynet.wait(finished)
	end
	skynet.ret(skynet.pack(sent))
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		command[cmd](...)
	end)
end)
