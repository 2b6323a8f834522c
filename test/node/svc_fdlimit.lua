-- Driven by test/node/fdlimit.sh: a line echo server on `fd_port`.
local skynet = require "skynet"
local socket = require "skynet.socket"

local function serve(id)
	socket.start(id)
	while true do
		local line = socket.readline(id)
		if not line then
			break
		end
		socket.write(id, line .. "\n")
	end
	socket.close(id)
end

skynet.start(function()
	local port = tonumber(skynet.getenv "fd_port")
	local listen = socket.listen("127.0.0.1", port)
	socket.start(listen, function(id)
		skynet.fork(serve, id)
	end)
	print "LISTENING"
end)
